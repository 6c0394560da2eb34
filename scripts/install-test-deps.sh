#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine: Node.js and npm (for the interop
# tests with the official Yjs clients) and redis-server (the Rust tests start their own, on a
# unix socket, to test the Redis backend). Rust must already be installed (rustup); this script
# says so clearly if it is not. Safe to run again: it installs only what is missing.
set -euo pipefail

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_apt+=(redis-tools)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found. Install Rust with rustup (https://rustup.rs), then run 'make test' again." >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js $node_major found; the interop tests need Node.js 20 or newer." >&2
  exit 1
fi
redis_version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
echo "test prerequisites: cargo $(cargo --version | cut -d' ' -f2), node $(node --version), npm $(npm --version), redis-server $redis_version"
