#!/usr/bin/env bash
# Runs the load scenarios against cocreate and its peers, side by side on this machine, and
# prints one comparison table (cocreate-embedded's headline over each server's).
#
#   load-tests/compare.sh                       # the default scenarios, every server
#   load-tests/compare.sh workshops plenary     # only these scenarios
#   SERVERS="cocreate-embedded y-sweet" load-tests/compare.sh max-rate
#   LOAD_ARGS="--rooms 50 --duration 10" load-tests/compare.sh workshops   # same knobs for all
#   BASELINE_BIN=/tmp/cocreate-main SERVERS="cocreate-baseline cocreate-embedded" \
#     load-tests/compare.sh workshops      # this tree against another build of cocreate
#
# Installs what it needs under load-tests/.peers/ (npm packages, y-sweet), builds cocreate and
# the generator in release mode, and starts each server fresh, on loopback, for each scenario.
# Every server gets the same scenario and the same knobs; results go to load-tests/results/.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
peers="$here/.peers"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$here/results/$(date -u +%Y%m%d-%H%M%S)"
servers=(${SERVERS:-cocreate-embedded cocreate-redis y-sweet y-websocket hocuspocus bare-relay})
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(workshops plenary late-join reconnect-storm max-rate connection-rate one-writer1500 presence100 presence500 join4mb)
# How long a server may take to say it is listening.
ready_timeout=60

# Whether any of the named servers is among those to run: peers are installed only when used.
wants() {
  local server name
  for server in "${servers[@]}"; do
    for name in "$@"; do [ "$server" = "$name" ] && return 0; done
  done
  return 1
}

install() {
  command -v redis-server >/dev/null || { echo "installing redis-server"; apt-get install -y redis-server >/dev/null; }
  if wants y-websocket hocuspocus && { [ ! -d "$peers/node/node_modules/@hocuspocus/server" ] || [ ! -d "$peers/node/node_modules/@y/websocket-server" ]; }; then
    echo "installing @y/websocket-server@0.1.1 and @hocuspocus/server@3 into $peers/node"
    mkdir -p "$peers/node"
    [ -f "$peers/node/package.json" ] || echo '{"private": true}' > "$peers/node/package.json"
    (cd "$peers/node" && npm install --no-audit --no-fund --silent @y/websocket-server@0.1.1 '@hocuspocus/server@^3')
  fi
  if wants y-sweet && [ ! -x "$peers/cargo/bin/y-sweet" ]; then
    echo "installing y-sweet 0.9.1 into $peers/cargo (a long compile on 2 cores)"
    cargo install y-sweet@0.9.1 --locked --root "$peers/cargo"
  fi
  echo "building cocreate and the generator (release)"
  (cd "$root" && cargo build --release --locked -p cocreate-server -p cocreate-load --bins)
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Waits (bounded) until file $1 has a line matching $2.
wait_for_line() {
  timeout "$ready_timeout" grep -q -m1 -E "$2" <(tail -n +1 -F "$1" 2>/dev/null) || {
    echo "server did not become ready; its log:"; cat "$1"; return 1; }
}

pids=()
stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap stop_servers EXIT

# Starts server $1 in a fresh directory; sets url, protocol and pids.
start_server() {
  local name="$1" dir port log
  dir="$(mktemp -d)"; log="$dir/log"
  protocol=y-websocket
  create_url=""
  case "$name" in
    cocreate-embedded|cocreate-redis|cocreate-baseline)
      local extra=() bin="$target/release/cocreate"
      if [ "$name" = cocreate-baseline ]; then
        # Another build of cocreate (e.g. main before a change), run as cocreate-embedded is.
        bin="${BASELINE_BIN:?cocreate-baseline needs BASELINE_BIN, the path of a cocreate binary}"
      fi
      if [ "$name" = cocreate-redis ]; then
        # Redis as the README recommends running it: append-only file, fsync every second.
        redis-server --port 0 --unixsocket "$dir/redis.sock" --dir "$dir" --appendonly yes \
          --appendfsync everysec --save '' >"$dir/redis.log" 2>&1 &
        pids+=($!)
        wait_for_line "$dir/redis.log" "[Rr]eady to accept connections"
        extra=(--redis-url "redis+unix://$dir/redis.sock")
      fi
      # The abuse limits off: every simulated participant comes from 127.0.0.1, and the peers
      # have no such limits (same settings for all).
      NO_COLOR=1 "$bin" serve --listen 127.0.0.1:0 --data-dir "$dir/data" \
        --open-rooms --admin-key compare --max-connections-per-ip 1000000 \
        --max-connections-per-session 1000000 --max-messages-per-second 1000000 \
        --max-bytes-per-second 1099511627776 "${extra[@]}" >"$log" 2>&1 &
      pids+=($!)
      wait_for_line "$log" 'listening'
      url="ws://$(grep -m1 -o 'addr=[0-9.:]*' "$log" | cut -d= -f2)/ws/{room}";;
    y-sweet)
      port="$(free_port)"
      "$peers/cargo/bin/y-sweet" serve "$dir/data" --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
      pids+=($!)
      wait_for_line "$log" 'Listening'
      url="ws://127.0.0.1:$port/d/{room}/ws/{room}"
      create_url="http://127.0.0.1:$port/doc/new";;
    y-websocket)
      port="$(free_port)"
      HOST=127.0.0.1 PORT="$port" node "$peers/node/node_modules/@y/websocket-server/src/server.js" >"$log" 2>&1 &
      pids+=($!)
      wait_for_line "$log" 'running at'
      url="ws://127.0.0.1:$port/{room}";;
    hocuspocus)
      port="$(free_port)"
      # Run from beside its node_modules: ES modules do not look packages up through NODE_PATH.
      cp "$here/peers/hocuspocus.mjs" "$peers/node/"
      node "$peers/node/hocuspocus.mjs" "$port" >"$log" 2>&1 &
      pids+=($!)
      wait_for_line "$log" 'listening on'
      url="ws://127.0.0.1:$port/"
      protocol=hocuspocus;;
    bare-relay)
      "$target/release/bare-relay" --listen 127.0.0.1:0 >"$log" 2>&1 &
      pids+=($!)
      wait_for_line "$log" 'listening on'
      url="ws://$(grep -m1 -o 'listening on [0-9.:]*' "$log" | cut -d' ' -f3)/{room}";;
    *) echo "unknown server $name"; return 1;;
  esac
}

install
mkdir -p "$out"
echo "results in $out"
for scenario in "${scenarios[@]}"; do
  for server in "${servers[@]}"; do
    # The bare relay holds no room: scenarios that need the server's copy do not apply.
    if [ "$server" = bare-relay ]; then
      case "$scenario" in late-join|join4mb|reconnect-storm) continue;; esac
    fi
    echo "== $scenario on $server"
    start_server "$server" || { echo "   ($server did not start: skipped)"; stop_servers; continue; }
    "$target/release/cocreate-load" run "$scenario" --url "$url" --protocol "$protocol" \
      --server "$server" ${create_url:+--create-url "$create_url"} --server-pid "$(IFS=,; echo "${pids[*]}")" --quiet \
      --json "$out/$scenario--$server.json" --markdown "$out/$scenario--$server.md" ${LOAD_ARGS:-} \
      || echo "   ($scenario on $server did not converge or failed: see $out/$scenario--$server.md)"
    stop_servers
  done
done
"$target/release/cocreate-load" table --reference cocreate-embedded "$out"/*.json | tee "$out/comparison.md"
cat "$out"/*--*.md > "$out/steps.md"
echo "per-step tables: $out/steps.md"
