#!/usr/bin/env bash
# Builds llama.cpp's own tools (llama-bench, llama-batched-bench, llama-server) from the llama.cpp
# source vendored in PyPI's llama-cpp-python sdist, natively (-DGGML_NATIVE=ON), into
# ${XDG_CACHE_HOME:-~/.cache}/scope/llama.cpp-<version>/. Idempotent; ~10 min once on 2 cores.
# Needs cmake (and ninja if present): `python3 -m pip install cmake ninja`.
# Usage: scripts/bench/build-llamacpp.sh   (prints the bin directory on its last line)
set -euo pipefail
VERSION=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/scope/llama.cpp-$VERSION"
BIN="$ROOT/build/bin"
TOOLS="llama-bench llama-batched-bench llama-server"
ok=1; for t in $TOOLS; do [ -x "$BIN/$t" ] || ok=0; done
if [ $ok = 1 ]; then echo "$BIN"; exit 0; fi
command -v cmake >/dev/null || python3 -m pip install --quiet cmake ninja >&2
mkdir -p "$ROOT"
if [ ! -f "$ROOT/src/CMakeLists.txt" ]; then
  TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
  echo "build-llamacpp: downloading the llama-cpp-python $VERSION sdist from PyPI ..." >&2
  python3 -m pip download --no-deps --no-binary llama-cpp-python --quiet -d "$TMP" "llama-cpp-python==$VERSION" >&2
  tar -xzf "$TMP"/llama_cpp_python-*.tar.gz -C "$TMP"
  rm -rf "$ROOT/src" && mv "$TMP"/llama_cpp_python-*/vendor/llama.cpp "$ROOT/src"
fi
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
echo "build-llamacpp: building $TOOLS (native) in $ROOT/build ..." >&2
cmake -S "$ROOT/src" -B "$ROOT/build" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=ON >&2
cmake --build "$ROOT/build" --config Release -j "$(nproc)" --target $TOOLS >&2
echo "$BIN"
