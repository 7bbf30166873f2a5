#!/usr/bin/env python3
"""Writes the GGUF test fixtures under Tests/GGUFTests/Fixtures/ using the `gguf` PyPI package.

  pip install gguf numpy
  python3 scripts/make-gguf-fixtures.py

dequant/<TYPE>.gguf     one tensor "weights" of that type (several blocks per row, several rows);
                        non-K types are quantized by gguf from random normal data, K-quants are
                        random block bytes with finite f16 scale fields.
dequant/<TYPE>.f32      the expected values, gguf.quants.dequantize(...) as little-endian float32,
                        row-major in ggml order (row 0 first, ne[0] contiguous).
quant_sizes.json        gguf's GGML_QUANT_SIZES: {"Q4_0": [id, block elements, block bytes], ...}.
metadata.gguf           one key of every metadata value type plus arrays, custom alignment 64,
                        and three small F32 tensors whose values are i + 1000*tensor_index.
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "GGUFTests", "Fixtures")

# type -> (shape in numpy order (rows..., ne0), how to make the data)
NON_K = {
    T.F32: (3, 40), T.F16: (3, 40), T.BF16: (3, 40),
    T.Q4_0: (4, 96), T.Q4_1: (4, 96), T.Q5_0: (4, 96), T.Q5_1: (4, 96), T.Q8_0: (2, 2, 96),
}
# K-quants: offsets (within a block) of the f16 scale fields to overwrite with finite values.
K_QUANTS = {
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
K_SHAPE = (3, 1024)


def write_tensor_file(path, name, data, raw_dtype=None):
    w = gguf.GGUFWriter(path, "fixture")
    if raw_dtype is None:
        w.add_tensor(name, data)
    else:
        w.add_tensor(name, data, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make_dequant(rng):
    out = os.path.join(ROOT, "dequant")
    os.makedirs(out, exist_ok=True)
    for qtype, shape in NON_K.items():
        x = rng.standard_normal(shape).astype(np.float32)
        if qtype == T.F32:
            data, raw = x, None
        elif qtype == T.F16:
            data, raw = x.astype(np.float16), None
        else:
            data, raw = quants.quantize(x, qtype), qtype
        name = qtype.name
        # gguf dequantizes raw bytes (last axis in bytes) for every type, plain floats included.
        expected = quants.dequantize(np.ascontiguousarray(data).view(np.uint8), qtype)
        assert expected.shape == shape, (name, expected.shape)
        write_tensor_file(os.path.join(out, name + ".gguf"), "weights", data, raw)
        expected.astype("<f4").tofile(os.path.join(out, name + ".f32"))
        print(name, shape, data.nbytes, "bytes")
    for qtype, scale_offsets in K_QUANTS.items():
        block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
        rows, n = K_SHAPE
        blocks = n // block_elems
        raw = rng.integers(0, 256, size=(rows, blocks, block_bytes), dtype=np.uint8)
        for off in scale_offsets:
            scales = (rng.uniform(0.25, 1.0, size=(rows, blocks)) * 0.01).astype(np.float16)
            raw[:, :, off:off + 2] = scales.view(np.uint8).reshape(rows, blocks, 2)
        data = raw.reshape(rows, blocks * block_bytes)
        expected = quants.dequantize(data, qtype)
        assert expected.shape == (rows, n) and np.all(np.isfinite(expected))
        write_tensor_file(os.path.join(out, qtype.name + ".gguf"), "weights", data, qtype)
        expected.astype("<f4").tofile(os.path.join(out, qtype.name + ".f32"))
        print(qtype.name, K_SHAPE, data.nbytes, "bytes")


def make_metadata():
    w = gguf.GGUFWriter(os.path.join(ROOT, "metadata.gguf"), "llama")
    w.add_custom_alignment(64)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 0.15625)
    w.add_uint64("test.u64", 10_000_000_000_000)
    w.add_int64("test.i64", -10_000_000_000_000)
    w.add_float64("test.f64", -2.5e-300)
    w.add_bool("test.true", True)
    w.add_bool("test.false", False)
    w.add_string("test.string", "héllo ▁wörld 🙂")
    # add_string skips empty strings; write it through add_key_value (gguf refuses empty arrays).
    w.add_key_value("test.empty", "", gguf.GGUFValueType.STRING)
    w.add_array("test.strings", ["a", "", "Ġthe", "<|im_end|>"])
    w.add_array("test.floats", [1.5, -2.25, 0.0])
    w.add_array("test.ints", [1, -2, 3])
    for i, shape in enumerate([(5,), (2, 3), (4, 1, 2)]):
        n = int(np.prod(shape))
        w.add_tensor(f"t{i}", (np.arange(n, dtype=np.float32) + 1000 * i).reshape(shape))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make_quant_sizes():
    sizes = {t.name: [int(t), b, s] for t, (b, s) in gguf.GGML_QUANT_SIZES.items()}
    with open(os.path.join(ROOT, "quant_sizes.json"), "w") as f:
        json.dump(sizes, f, indent=1)
        f.write("\n")


def main():
    rng = np.random.default_rng(20241217)
    make_dequant(rng)
    make_quant_sizes()
    make_metadata()
    return 0


if __name__ == "__main__":
    sys.exit(main())
