#!/usr/bin/env python3
"""Requantizes the default SmolLM2 model to Q8_0, Q4_K_M and Q6_K with llama.cpp's quantizer
(llama-cpp-python) and writes an fp32 reference JSON for each file.

  pip install gguf numpy                      # for this script and scripts/reference_forward.py
  pip install llama-cpp-python==0.3.36        # ~10 min of compiling on 2 cores; may be another venv
  python3 scripts/requantize-smollm2.py [--llama-python VENV/bin/python] [--types Q8_0 Q6_K]
                                        [--skip-quantize] [--skip-reference]

Steps:
1. SmolLM2-135M-Instruct.Q4_1.gguf (the default model; scripts/fetch-model.sh) is dequantized by
   `gguf` into an all-F32 GGUF with the same metadata (a temporary file in the models folder).
2. llama.cpp's `llama_model_quantize` (run with --llama-python, default this interpreter) turns it
   into SmolLM2-135M-Instruct.<TYPE>.gguf in ${XDG_CACHE_HOME:-~/.cache}/scope/models/.
   SmolLM2's width 576 is not a multiple of 256, so llama.cpp falls back for those matrices
   (Q4_K -> Q5_0, Q6_K -> Q8_0); only ffn_down (1536 columns) holds K-quant blocks.
3. scripts/reference_forward.py (numpy float64, weights dequantized by `gguf`) computes the
   logits cases and greedy cases of Tests/ModelTests/Fixtures/smollm2_q4_1_reference.json for
   each file and writes Tests/ModelTests/Fixtures/requantized/SmolLM2-135M-Instruct.<TYPE>.json
   (same layout, plus `file_size`, `tensor_types` and the greedy top-2 gaps).
Takes about 15 minutes on 2 cores (most of it the reference forward passes).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import gguf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, HERE)
import reference_forward  # noqa: E402

FTYPES = {"Q8_0": 7, "Q4_K_M": 15, "Q6_K": 18}  # llama_ftype values (llama.h)
SOURCE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPTS = os.path.join(ROOT, "Tests", "ModelTests", "Fixtures", "smollm2_q4_1_reference.json")
OUT = os.path.join(ROOT, "Tests", "ModelTests", "Fixtures", "requantized")

QUANTIZE = r"""
import ctypes, sys
from llama_cpp import llama_cpp as L
params = L.llama_model_quantize_default_params()
params.ftype = int(sys.argv[3])
params.nthread = 2
params.allow_requantize = False
rc = L.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params))
print("llama_model_quantize returned", rc)
sys.exit(1 if rc != 0 else 0)
"""


def models_dir():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "scope", "models")


def write_f32(source, dest):
    """An all-F32 copy of `source` (same metadata, general.file_type = 0), dequantized by gguf."""
    reader = gguf.GGUFReader(source)
    arch = reader.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(dest, arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type"):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        w.add_key_value(name, field.contents(), vtype, sub_type=sub)
    w.add_file_type(0)
    for t in reader.tensors:
        shape = tuple(int(s) for s in reversed(t.shape.tolist()))
        values = np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(shape)
        w.add_tensor(t.name, values)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tensor_types(path):
    return {t.name: gguf.GGMLQuantizationType(t.tensor_type).name for t in gguf.GGUFReader(path).tensors}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--types", nargs="+", default=list(FTYPES), choices=list(FTYPES))
    ap.add_argument("--llama-python", default=sys.executable,
                    help="a Python interpreter that can `import llama_cpp` (default: this one)")
    ap.add_argument("--skip-quantize", action="store_true", help="reuse existing requantized files")
    ap.add_argument("--skip-reference", action="store_true", help="only write the requantized files")
    args = ap.parse_args()

    folder = models_dir()
    source = os.path.join(folder, SOURCE)
    if not os.path.exists(source):
        sys.exit(f"{source} is missing: run scripts/fetch-model.sh first")
    os.makedirs(OUT, exist_ok=True)

    if not args.skip_quantize:
        intermediate = os.path.join(folder, "SmolLM2-135M-Instruct.F32-from-Q4_1.gguf.tmp")
        t0 = time.time()
        write_f32(source, intermediate)
        print(f"wrote {intermediate} ({time.time() - t0:.0f}s)")
        try:
            for name in args.types:
                dest = os.path.join(folder, f"SmolLM2-135M-Instruct.{name}.gguf")
                t0 = time.time()
                subprocess.run([args.llama_python, "-c", QUANTIZE, intermediate, dest, str(FTYPES[name])], check=True)
                print(f"wrote {dest} ({os.path.getsize(dest)} bytes, {time.time() - t0:.0f}s)")
        finally:
            os.remove(intermediate)

    if args.skip_reference:
        return
    probe = subprocess.run([args.llama_python, "-c", "import llama_cpp; print(llama_cpp.__version__)"],
                           capture_output=True, text=True)
    quantizer = "llama-cpp-python " + (probe.stdout.strip() if probe.returncode == 0 else "(version unknown)")
    with open(PROMPTS) as f:
        prompts = json.load(f)
    for name in args.types:
        path = os.path.join(folder, f"SmolLM2-135M-Instruct.{name}.gguf")
        out = os.path.join(OUT, f"SmolLM2-135M-Instruct.{name}.json")
        t0 = time.time()
        model = reference_forward.ReferenceModel(path, np.float64)
        reference_forward.write_reference(model, prompts, out, os.path.basename(path))
        with open(out) as f:
            ref = json.load(f)
        types = tensor_types(path)
        counts = {}
        for t in types.values():
            counts[t] = counts.get(t, 0) + 1
        ref["file_size"] = os.path.getsize(path)
        ref["type_counts"] = counts
        ref["tensor_types"] = types
        ref["made_by"] = "scripts/requantize-smollm2.py: " + SOURCE + " -> F32 (gguf) -> llama_model_quantize " + name + " (" + quantizer + ")"
        with open(out, "w") as f:
            json.dump(ref, f, indent=1)
            f.write("\n")
        print(f"wrote {out} ({time.time() - t0:.0f}s); tensor types {counts}")


if __name__ == "__main__":
    main()
