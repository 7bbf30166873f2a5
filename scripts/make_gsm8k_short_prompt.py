"""Builds a shortened GSM8K+ prompt (3 demos, 8 questions) for `scope analyze` from ../shared data."""
import json, re, sys
src, out = sys.argv[1], sys.argv[2]
d = json.loads(open(src).readline())
p = d["prompt"]
qs = re.findall(r"Question_(\d+): \n(.*?)\n\n", p, re.S)
ans = re.findall(r"Answer_(\d+):\n(.*?The answer is [^\n]*)", p, re.S)
demo = "Examples: \n" + "".join(f"Question_{i}: \n{q}\n\n" for i, q in qs[:3])
demo += "".join(f"Answer_{i}:\n{a}\n\n" for i, a in ans[:3])
task = "Answer each of the following questions in order, in the same format.\n\n"
task += "".join(f"Question_{4 + j}: \n{q.strip()}\n\n" for j, q in enumerate(d["questions"][:8]))
open(out, "w").write(demo + task + "Answer_4:\n")
