#!/usr/bin/env bash
# The compose deployment (deploy/compose.yaml), on loopback and without Docker: redis-server with
# an append-only file, two cocreate nodes sharing it, and nginx in front running
# deploy/nginx/cocreate.conf (TLS with a throw-away self-signed certificate). For trying a
# multi-node setup on one machine, and for the rolling-restart test (deploy/test/).
#
#   deploy/local-cluster.sh start [-- SERVE_ARGS...]   start everything; prints the URL
#   deploy/local-cluster.sh restart-node N             SIGTERM node N (1 or 2), wait, start it again
#   deploy/local-cluster.sh stop                       stop everything (nodes gracefully)
#
# SERVE_ARGS go to both nodes (e.g. --open-rooms for the tests). Environment:
#   COCREATE_BIN       the server binary (default: target/debug/cocreate in this repository)
#   LOCAL_CLUSTER_DIR  where state, logs, sockets and the certificate go
#                      (default: $TMPDIR/cocreate-local-cluster); its cluster.env lists the
#                      addresses (URL, WS_URL, CA_CERT, NODE1_URL, ...) for scripts.
# Needs redis-server, redis-cli, nginx, openssl, curl and python3 (scripts/install-test-deps.sh).
# Every wait is bounded; a failed start stops what it had started.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${COCREATE_BIN:-$repo/target/debug/cocreate}"
dir="${LOCAL_CLUSTER_DIR:-${TMPDIR:-/tmp}/cocreate-local-cluster}"

# The server stores every room within its 20 s shutdown grace; allow a margin on top.
STOP_TIMEOUT_S=30
START_TIMEOUT_S=20

die() { echo "local-cluster: error: $*" >&2; exit 1; }
say() { echo "local-cluster: $*" >&2; }

# Polls `$@` every 0.1 s until it succeeds, for at most $1 seconds. Returns 1 on timeout.
wait_until() {
  local timeout_s=$1; shift
  local tries=$((timeout_s * 10))
  while ! "$@" >/dev/null 2>&1; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || return 1
    sleep 0.1
  done
}

# A TCP port on 127.0.0.1 that was free a moment ago (nginx cannot report a port it picked).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The pid in $dir/$1.pid if that process is alive and is still the program we started ($2), so
# that a stale pid file never makes us signal an unrelated process.
live_pid() {
  local file="$dir/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  echo "$pid"
}

# Sends SIGTERM to a process we started and waits (bounded) until it is gone; SIGKILL after that.
stop_process() {
  local name=$1 program=$2 pid
  pid=$(live_pid "$name" "$program") || { rm -f "$dir/$name.pid"; return 0; }
  kill -TERM "$pid"
  if ! wait_until "$STOP_TIMEOUT_S" not_alive "$pid"; then
    say "$name (pid $pid) did not exit within ${STOP_TIMEOUT_S}s of SIGTERM: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 not_alive "$pid" || true
  fi
  rm -f "$dir/$name.pid"
}
not_alive() { ! kill -0 "$1" 2>/dev/null; }

# Starts `$@` in its own session, output appended to $dir/$name.log, pid into $dir/$name.pid.
spawn() {
  local name=$1; shift
  setsid "$@" >>"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

http_ok() { curl -fsS --max-time 2 "$@" -o /dev/null; }

start_redis() {
  mkdir -p "$dir/redis"
  # As compose runs it: append-only file fsynced every second, no RDB snapshots. A unix socket
  # (no TCP port) keeps it private to this user.
  spawn redis redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
    --dir "$dir/redis" --appendonly yes --appendfsync everysec --save '' --daemonize no
  wait_until "$START_TIMEOUT_S" redis_ping || die "redis-server did not answer within ${START_TIMEOUT_S}s; see $dir/redis.log"
}
redis_ping() { [ "$(redis-cli -s "$dir/redis.sock" ping)" = PONG ]; }

# Starts node N on its port from the last start (port 0 the first time: the node picks one and
# logs it), as compose configures it: everything through COCREATE_* variables.
start_node() {
  local n=$1 port=0 log="$dir/node$1.log" from
  [ -f "$dir/node$n.port" ] && port=$(cat "$dir/node$n.port")
  from=$(( $( [ -f "$log" ] && wc -l <"$log" || echo 0 ) + 1 ))
  local -a serve_args=()
  [ -s "$dir/serve-args" ] && mapfile -t serve_args <"$dir/serve-args"
  mkdir -p "$dir/node$n"
  spawn "node$n" env NO_COLOR=1 \
    COCREATE_LISTEN="127.0.0.1:$port" \
    COCREATE_REDIS_URL="redis+unix://$dir/redis.sock" \
    COCREATE_NODE_ID="cocreate-$n" \
    COCREATE_ADMIN_KEY_FILE="$dir/admin-key" \
    COCREATE_TOKEN_SECRET_FILE="$dir/token-secret" \
    COCREATE_LOG_FORMAT=json \
    COCREATE_CLIENT_IP_HEADER=X-Forwarded-For \
    COCREATE_DATA_DIR="$dir/node$n" \
    COCREATE_WEB_DIR="$repo/web-client/dist" \
    "$bin" serve "${serve_args[@]}"
  wait_until "$START_TIMEOUT_S" node_started "$n" "$from" ||
    die "node $n did not log its address within ${START_TIMEOUT_S}s; its log:
$(tail -n +"$from" "$log")"
  port=$(node_listening "$n" "$from") || die "node $n exited at start; its log:
$(tail -n +"$from" "$log")"
  echo "$port" >"$dir/node$n.port"
  wait_until "$START_TIMEOUT_S" http_ok "http://127.0.0.1:$port/readyz" ||
    die "node $n (127.0.0.1:$port) not ready within ${START_TIMEOUT_S}s; see $log"
}
# Node $1 has logged its address since line $2, or has exited (no use waiting then).
node_started() { node_listening "$1" "$2" || ! kill -0 "$(cat "$dir/node$1.pid")"; }
# The port of node $1's `listening` log line at or after line $2 (fails while there is none).
node_listening() {
  tail -n +"$2" "$dir/node$1.log" |
    sed -n 's/.*"message":"listening","addr":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' | grep -m1 .
}

# nginx as the current user: deploy/nginx/cocreate.conf with loopback addresses, inside a main
# configuration that keeps pid, logs and temp files in $dir/nginx.
start_nginx() {
  local conf="$dir/nginx" http_port https_port
  mkdir -p "$conf/tmp" "$dir/certs"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$dir/certs/privkey.pem" -out "$dir/certs/fullchain.pem" 2>/dev/null ||
    die "openssl could not make the self-signed certificate"
  http_port=$(free_port); https_port=$(free_port)
  sed -e "s|cocreate-1:8080|127.0.0.1:$(cat "$dir/node1.port")|" \
      -e "s|cocreate-2:8080|127.0.0.1:$(cat "$dir/node2.port")|" \
      -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
      -e "s|listen 443 ssl;|listen 127.0.0.1:$https_port ssl;|" \
      -e "s|/etc/nginx/certs/|$dir/certs/|" \
      "$repo/deploy/nginx/cocreate.conf" >"$conf/cocreate.conf"
  # Every replacement must have matched: otherwise the config tested is not the one shipped.
  for expected in "127.0.0.1:$(cat "$dir/node1.port") " "127.0.0.1:$(cat "$dir/node2.port") " \
      "listen 127.0.0.1:$http_port;" "listen 127.0.0.1:$https_port ssl;" "$dir/certs/fullchain.pem"; do
    grep -qF -- "$expected" "$conf/cocreate.conf" ||
      die "deploy/nginx/cocreate.conf no longer has what local-cluster.sh replaces (looked for '$expected' after replacing)"
  done
  local user_line=''
  # As root, nginx would switch its workers to 'nobody'; keep them as the current user.
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un);"
  cat >"$conf/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $conf/nginx.pid;
error_log $conf/error.log info;
events { worker_connections 1024; }
http {
    # Which node served each request: restart-node waits on it (see in_rotation).
    log_format upstream '\$upstream_addr \$upstream_status \$request';
    access_log $conf/access.log upstream;
    client_body_temp_path $conf/tmp/body;
    proxy_temp_path $conf/tmp/proxy;
    fastcgi_temp_path $conf/tmp/fastcgi;
    uwsgi_temp_path $conf/tmp/uwsgi;
    scgi_temp_path $conf/tmp/scgi;
    include $conf/cocreate.conf;
}
EOF
  local nginx_args=(-p "$conf" -c "$conf/nginx.conf" -e "$conf/error.log")
  nginx -t -q "${nginx_args[@]}" 2>>"$dir/nginx.log" || die "nginx rejects the configuration: $(tail -n 5 "$dir/nginx.log")"
  spawn nginx nginx "${nginx_args[@]}"
  local url="https://127.0.0.1:$https_port"
  wait_until "$START_TIMEOUT_S" http_ok --cacert "$dir/certs/fullchain.pem" "$url/readyz" ||
    die "nginx did not pass /readyz through within ${START_TIMEOUT_S}s; see $conf/error.log"
  cat >"$dir/cluster.env" <<EOF
URL=$url
WS_URL=wss://127.0.0.1:$https_port/ws
HTTP_URL=http://127.0.0.1:$http_port
CA_CERT=$dir/certs/fullchain.pem
NODE1_URL=http://127.0.0.1:$(cat "$dir/node1.port")
NODE2_URL=http://127.0.0.1:$(cat "$dir/node2.port")
REDIS_URL=redis+unix://$dir/redis.sock
ADMIN_KEY_FILE=$dir/admin-key
EOF
}

stop_all() {
  stop_process nginx "nginx"
  # Nodes before Redis: they store every room on SIGTERM.
  stop_process node1 "$bin"
  stop_process node2 "$bin"
  stop_process redis "redis-server"
  rm -f "$dir/cluster.env"
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: install it (scripts/install-test-deps.sh installs everything this script needs)"
}

stop_after_failed_start() {
  local status=$?
  [ "$status" -eq 0 ] && return
  say "start failed: stopping what was started (logs in $dir)"
  stop_all
}

cmd_start() {
  [ "${1:-}" = "--" ] && shift
  [ -x "$bin" ] || die "cocreate binary not found at $bin: build it (cargo build) or set COCREATE_BIN"
  for tool in redis-server redis-cli nginx openssl curl python3 setsid; do need "$tool"; done
  if live_pid redis redis-server >/dev/null || live_pid node1 "$bin" >/dev/null || live_pid node2 "$bin" >/dev/null ||
      live_pid nginx nginx >/dev/null; then
    die "a local cluster is already running in $dir: '$0 stop' first (or set LOCAL_CLUSTER_DIR)"
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  : >"$dir/serve-args"
  [ $# -eq 0 ] || printf '%s\n' "$@" >"$dir/serve-args"
  # Generated per cluster, shared by both nodes as compose shares them from its .env file.
  openssl rand -hex 24 >"$dir/admin-key"
  openssl rand -hex 32 >"$dir/token-secret"
  trap stop_after_failed_start EXIT
  start_redis
  start_node 1
  start_node 2
  start_nginx
  trap - EXIT
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  say "running: $URL (WebSocket $WS_URL, CA certificate $CA_CERT); state and logs in $dir"
  echo "$URL"
}

cmd_restart_node() {
  local n=${1:-}
  [[ "$n" =~ ^[12]$ ]] || die "restart-node takes the node number, 1 or 2"
  [ -f "$dir/cluster.env" ] || die "no local cluster in $dir ('$0 start' first)"
  local from=$(( $(wc -l <"$dir/node$n.log") + 1 ))
  stop_process "node$n" "$bin"
  tail -n +"$from" "$dir/node$n.log" | grep -q '"shutdown complete"' ||
    die "node $n did not log 'shutdown complete' after SIGTERM; its log:
$(tail -n +"$from" "$dir/node$n.log")"
  start_node "$n"
  # Ready is not enough: nginx skips a node that refused a connection for fail_timeout. Restarting
  # the other node before nginx routes to this one again would leave it no node to route to.
  wait_until "$START_TIMEOUT_S" in_rotation "$n" ||
    die "nginx did not route a request to node $n within ${START_TIMEOUT_S}s of its restart; see $dir/nginx/error.log"
  say "node $n restarted on $(cat "$dir/node$n.port") and back in nginx's rotation"
}
# One request through nginx; true if nginx sent it to node $1, straight (no failover) and it succeeded.
in_rotation() {
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  http_ok --cacert "$CA_CERT" "$URL/readyz" &&
    tail -n 1 "$dir/nginx/access.log" | grep -q "^127\.0\.0\.1:$(cat "$dir/node$1.port") 200 GET /readyz "
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) stop_all; say "stopped (logs in $dir)" ;;
  restart-node) shift; cmd_restart_node "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
