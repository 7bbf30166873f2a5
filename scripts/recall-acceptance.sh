#!/usr/bin/env bash
# The recall acceptance grid (issue 7): FullKV and six compression settings on recall K=30, 8 examples,
# default model (SmolLM2-135M-Instruct Q4_1), greedy, then the score table. Runs are serial and resumable.
# Usage: scripts/recall-acceptance.sh [OUT_DIR] [P] [DW] [DR]   (defaults: /tmp/recall 128 64 32)
set -euo pipefail
OUT=${1:-/tmp/recall}; P=${2:-128}; DW=${3:-64}; DR=${4:-32}
SCOPE=${SCOPE:-.build/release/scope}
DATA=$OUT/recall_30.jsonl
[ -f "$DATA" ] || "$SCOPE" longgenbench build --dataset recall --k 30 --seed 1 --count 8 --out "$DATA"
# FullKV in our layout (no budget); compressed runs in the reference layout so the table shows P and dw.
"$SCOPE" longgenbench run --data "$DATA" --out "$OUT/fullkv" --prefill fullkv --decoding none
run() { # prefill decoding label
  "$SCOPE" longgenbench run --data "$DATA" --out "$OUT/P$P/$3_decoding_window_${DW}_recent_window_${DR}/smollm2_$P" \
    --prefill "$1" --decoding "$2" --prefill-budget "$P" --decoding-window "$DW" --recent "$DR"
}
run streamingllm slm StreamingLLM+slm
run h2o h2o H2O+h2o
run snapkv none SnapKV+None
run h2o slide H2O+slide
run h2o adaptive H2O+adaptive
run h2o discontinuous H2O+discontinuous
"$SCOPE" longgenbench score "$OUT/fullkv" "$OUT/P$P"
