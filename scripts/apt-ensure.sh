#!/usr/bin/env bash
# Installs Debian packages for commands that are missing: each argument is COMMAND:PACKAGE
# (e.g. node:nodejs), or /PATH:PACKAGE for a file a package installs (a font). Safe to run
# again: it installs only what is missing.
set -euo pipefail

need_apt=()
for pair in "$@"; do
  what="${pair%%:*}"
  if [[ "$what" == /* ]]; then
    [ -e "$what" ] || need_apt+=("${pair#*:}")
  else
    command -v "$what" >/dev/null 2>&1 || need_apt+=("${pair#*:}")
  fi
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${need_apt[@]}"
fi
