#!/usr/bin/env bash
# Prints the path of the official REFI-QDA project schema (Project.xsd, QDA-XML 1.0), fetched
# once into a cache directory: the schemas ship in the source package of pyrefiqda on the
# Python registry, fetched by pinned version and checked against a pinned SHA-256 (the package
# itself is never committed). The REFI-QDA export test validates project.qde against it.
#
# Usage: scripts/refi-qda-schema.sh [cache-dir]   (default: $XDG_CACHE_HOME/cocreate/refi-qda)
# Exit 0: the path on stdout. Exit 3: the registry could not be reached (the caller may skip).
# Exit 1: anything else, e.g. a checksum mismatch, which must never be skipped.
set -euo pipefail

version=0.2.0
sha256=21baa24981b79e20612b42416ab623f8ba724b1dd92dd48a22a2ea935fea7db7
package="pyrefiqda-$version.tar.gz"
cache="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/cocreate/refi-qda}"
schema="$cache/pyrefiqda-$version/refi-qda-standard/Project.xsd"

if [ -f "$schema" ]; then
  echo "$schema"
  exit 0
fi
mkdir -p "$cache"
if [ ! -f "$cache/$package" ]; then
  download="$(mktemp -d)"
  trap 'rm -rf "$download"' EXIT
  if ! python3 -m pip download --quiet --no-deps --no-binary :all: \
      "pyrefiqda==$version" -d "$download" >"$download/log" 2>&1 \
      && ! [ -f "$download/$package" ]; then
    echo "could not fetch $package from the Python registry:" >&2
    tail -n 3 "$download/log" >&2
    exit 3
  fi
  mv "$download/$package" "$cache/$package"
fi
if ! echo "$sha256  $cache/$package" | sha256sum --check --quiet -; then
  echo "error: $package does not have the pinned SHA-256 $sha256" >&2
  rm -f "$cache/$package"
  exit 1
fi
tar -xzf "$cache/$package" -C "$cache" "pyrefiqda-$version/refi-qda-standard/"
echo "$schema"
