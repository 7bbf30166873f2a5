#!/usr/bin/env bash
# The method table (issue 14 point 4): every compression method at three budgets on the two synthetic long-output
# tasks (recall: answers in the prompt; repeats: the list written R times, later copies after the model's own
# earlier ones), default model, greedy, corrected semantics. Per method, task and budget: accuracy, fidelity against
# FullKV (mean KL and top-1 agreement from `scope fidelity`, teacher-forced on the FullKV output of the first
# FIDELITY_EXAMPLES prompts), peak KV bytes and decode tok/s (per sequence, batched by --parallel); then the plots
# of `scope longgenbench plot`. Every step is resumable: `longgenbench run` skips finished examples and a fidelity
# file that exists is kept, so rerunning the same command continues; the table is rewritten from what exists.
#
# Usage: scripts/method-table.sh [OUT_DIR] [DOCS_DIR]     (defaults: /tmp/method-table docs/method-table)
# Environment (defaults in brackets):
#   METHODS   "prefill/decoding ..." pairs [from `scope methods --json` when that command exists, else the CLI help:
#             every prefill method with decoding none, every decoding method after H2O prefill (slm after
#             StreamingLLM)]; FullKV is always run.
#   BUDGETS   "P/dw/dr ..." [128/64/32 64/32/16 192/96/48] (run in this order)
#   EXAMPLES  examples per task [8]          PARALLEL  sequences decoded at once [4]
#   FIDELITY_EXAMPLES [1]  FIDELITY_TOKENS tokens teacher-forced [the task's max new tokens]
#   TASKS     [recall repeats]   SCOPE [.build/release/scope]   NICE [nice -n 19]
#   MODEL     a GGUF path or known model name [the default model]; its results folders are named after LABEL
#   LABEL     [smollm2]   TEMPLATE  the prompt template of `longgenbench run` [the task's default: chat]
#             (a base model without a chat template, e.g. Gemma 3 270M: TEMPLATE=plain)
set -euo pipefail
OUT=${1:-/tmp/method-table}; DOCS=${2:-docs/method-table}
SCOPE=${SCOPE:-.build/release/scope}; NICE=${NICE:-nice -n 19}
BUDGETS=${BUDGETS:-"128/64/32 64/32/16 192/96/48"}
EXAMPLES=${EXAMPLES:-8}; PARALLEL=${PARALLEL:-4}; FIDELITY_EXAMPLES=${FIDELITY_EXAMPLES:-1}
TASKS=${TASKS:-"recall repeats"}
LABEL=${LABEL:-smollm2}
MODEL_FLAGS=(); [ -n "${MODEL:-}" ] && MODEL_FLAGS=(--model "$MODEL")
RUN_FLAGS=("${MODEL_FLAGS[@]}"); [ -n "${TEMPLATE:-}" ] && RUN_FLAGS+=(--template "$TEMPLATE")
mkdir -p "$OUT/data" "$OUT/runs" "$OUT/fidelity" "$DOCS"

if [ -z "${METHODS:-}" ]; then
  METHODS=$(SCOPE="$SCOPE" python3 - <<'EOF'
import json, os, re, subprocess
scope = os.environ["SCOPE"]
prefill, decoding = [], []
r = subprocess.run([scope, "methods", "--json"], capture_output=True, text=True)
try:
    listed = json.loads(r.stdout) if r.returncode == 0 else None
    if isinstance(listed, dict): listed = listed.get("methods")
    for m in listed or []:
        stage = str(m.get("stage", "")).lower()
        (prefill if stage.startswith("prefill") else decoding if stage.startswith("decod") else []).append(m["name"])
except (ValueError, KeyError, TypeError, AttributeError):
    prefill, decoding = [], []
if not prefill or not decoding:   # no `scope methods` yet: the value lists of the CLI help
    help = subprocess.run([scope, "generate", "--help"], capture_output=True, text=True).stdout
    def values(flag):
        m = re.search(r"--" + flag + r" <" + flag + r">.*?\(values: ([^;)]*)", help, re.S)
        return [v.strip() for v in m.group(1).replace("\n", " ").split(",")] if m else []
    prefill, decoding = values("prefill"), values("decoding")
pairs = [f"{p}/none" for p in prefill if p not in ("fullkv", "allkv")]
pairs += [("streamingllm" if d == "slm" else "h2o") + f"/{d}" for d in decoding if d != "none"]
print(" ".join(dict.fromkeys(pairs)))
EOF
)
fi
echo "methods: $METHODS"
echo "budgets: $BUDGETS; examples: $EXAMPLES; parallel: $PARALLEL"

data_file() { # task → data file (built once, deterministic)
  case $1 in
    recall)  f=$OUT/data/recall_30.jsonl; [ -f "$f" ] || $NICE "$SCOPE" longgenbench build --task recall --k 30 --seed 1 --count "$EXAMPLES" --out "$f" >&2 ;;
    repeats) f=$OUT/data/repeats_16x4.jsonl; [ -f "$f" ] || $NICE "$SCOPE" longgenbench build --task repeats --k 16 --copies 4 --seed 1 --count "$EXAMPLES" --out "$f" >&2 ;;
    *) echo "unknown task $1" >&2; exit 64 ;;
  esac
  echo "$f"
}
fidelity() { # task data outfile flags... (skipped when outfile exists)
  local task=$1 data=$2 file=$3; shift 3
  [ -s "$file" ] && return 0
  local full tokens
  full=$(ls "$OUT"/runs/fullkv/"$task"/*.jsonl 2>/dev/null | head -1)
  [ -n "$full" ] || return 0
  python3 - "$full" "$FIDELITY_EXAMPLES" "$OUT/fidelity/prompts/$task" <<'EOF'
import json, os, sys
path, n, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(folder, exist_ok=True)
rows = sorted((json.loads(l) for l in open(path) if l.strip()), key=lambda r: r["index"])
for r in rows[:n]:
    open(f"{folder}/{r['index']}.txt", "w").write(r["prompt"])
    open(f"{folder}/{r['index']}.tokens", "w").write(str(r["max_new_tokens"]))
EOF
  local parts=() i
  for i in $(seq 0 $((FIDELITY_EXAMPLES - 1))); do
    local p=$OUT/fidelity/prompts/$task/$i.txt
    [ -f "$p" ] || continue
    tokens=${FIDELITY_TOKENS:-$(cat "$OUT/fidelity/prompts/$task/$i.tokens")}
    $NICE "$SCOPE" fidelity "${MODEL_FLAGS[@]}" --prompt-file "$p" --max-tokens "$tokens" "$@" --json > "$file.$i.tmp"
    parts+=("$file.$i.tmp")
  done
  python3 - "$file" "${parts[@]}" <<'EOF'
import json, sys
reports = [json.load(open(p)) for p in sys.argv[2:]]
tokens = sum(r["tokens"] for r in reports)
out = {"examples": len(reports), "tokens": tokens,
       "kl_mean": sum(r["kl_mean"] * r["tokens"] for r in reports) / tokens,
       "top1_agreement": sum(r["top1_agreement"] * r["tokens"] for r in reports) / tokens,
       "kv_bytes_peak": max(r["kv_bytes_peak"] for r in reports)}
json.dump(out, open(sys.argv[1], "w"))
EOF
  rm -f "${parts[@]}"
}

for task in $TASKS; do
  data=$(data_file "$task")
  echo "== $task: FullKV"
  $NICE "$SCOPE" longgenbench run --data "$data" --out "$OUT/runs/fullkv" --prefill fullkv --decoding none \
    "${RUN_FLAGS[@]}" --limit "$EXAMPLES" --parallel "$PARALLEL"
done
for budget in $BUDGETS; do
  IFS=/ read -r P DW DR <<< "$budget"
  for m in $METHODS; do
    IFS=/ read -r prefill decoding <<< "$m"
    L=$prefill+$decoding   # the table's label, from the folder name (reference layout)
    flags=(--prefill "$prefill" --decoding "$decoding" --prefill-budget "$P" --decoding-window "$DW" --recent "$DR")
    for task in $TASKS; do
      data=$(data_file "$task")
      echo "== $task: $L P=$P dw=$DW dr=$DR"
      if ! $NICE "$SCOPE" longgenbench run --data "$data" \
          --out "$OUT/runs/P$P/${L}_decoding_window_${DW}_recent_window_${DR}/${LABEL}_$P" \
          "${flags[@]}" "${RUN_FLAGS[@]}" --limit "$EXAMPLES" --parallel "$PARALLEL"; then
        echo "!! $task $L P=$P: run failed (listed as not run in the table)"; continue
      fi
      mkdir -p "$OUT/fidelity/$task"
      fidelity "$task" "$data" "$OUT/fidelity/$task/${L}_P${P}_dw${DW}_dr${DR}.json" "${flags[@]}" \
        || echo "!! $task $L P=$P: fidelity failed"
    done
  done
done

# The table: one row per method and budget, one column group per task.
SCOPE="$SCOPE" python3 - "$OUT" "$DOCS/table.md" "$TASKS" "$BUDGETS" "$METHODS" "$LABEL" <<'EOF'
import glob, json, os, re, subprocess, sys
out, table, tasks, budgets, methods = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), sys.argv[5].split()
label = sys.argv[6]
scope = os.environ["SCOPE"]
def cell(task, folder, fid):
    found = sorted(glob.glob(f"{folder}/{task}/*.jsonl"))
    if not found: return ["not run"] + [""] * 5
    f = found[0]
    rows = [json.loads(l) for l in open(f) if l.strip()]
    s = json.loads(subprocess.run([scope, "longgenbench", "score", f, "--json"], capture_output=True, text=True, check=True).stdout)
    acc = s["scores"][task]
    gen = sum(r["generated_tokens"] for r in rows); dec = sum(r["decode_seconds"] for r in rows)
    kv = sum(r["kv"]["kv_bytes_peak"] for r in rows) / len(rows) / 1e6
    fd = json.load(open(fid)) if fid and os.path.exists(fid) else None
    kl = f"{fd['kl_mean']:.4f}" if fd else ("ref" if fid is None else "–")
    top1 = f"{fd['top1_agreement']:.3f}" if fd else ("ref" if fid is None else "–")
    return [f"{acc:.1f}", str(len(rows)), kl, top1, f"{kv:.2f}", f"{gen / dec:.1f}" if dec > 0 else "–"]
head = "| method | P/dw/dr | " + " | ".join(f"{t} acc % | n | KL | top-1 | KV MB | tok/s" for t in tasks) + " |\n"
head += "|---|---|" + "---|" * (6 * len(tasks)) + "\n"
lines = ["| fullkv+none | – | " + " | ".join(" | ".join(cell(t, f"{out}/runs/fullkv", None)) for t in tasks) + " |"]
for b in budgets:
    P, dw, dr = b.split("/")
    for m in methods:
        lab = m.replace("/", "+")
        folder = f"{out}/runs/P{P}/{lab}_decoding_window_{dw}_recent_window_{dr}/{label}_{P}"
        cells = [cell(t, folder, f"{out}/fidelity/{t}/{lab}_P{P}_dw{dw}_dr{dr}.json") for t in tasks]
        lines.append(f"| {lab} | {P}/{dw}/{dr} | " + " | ".join(" | ".join(c) for c in cells) + " |")
open(table, "w").write(head + "\n".join(lines) + "\n")
print(head + "\n".join(lines))
EOF
dirs=("$OUT/runs/fullkv"); for d in "$OUT"/runs/P*; do [ -d "$d" ] && dirs+=("$d"); done
$NICE "$SCOPE" longgenbench plot "${dirs[@]}" --out "$DOCS/figures" || echo "!! plot failed"
echo "table: $DOCS/table.md; figures: $DOCS/figures"
