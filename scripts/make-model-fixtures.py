#!/usr/bin/env python3
"""Writes random-weight Llama GGUF models in every weight type, with expected logits, under
Tests/ModelTests/Fixtures/breadth/.

  pip install gguf numpy tokenizers
  python3 scripts/make-model-fixtures.py

For each type in F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K, plus
MIXED_Q4_K_M (Q4_K with Q6_K for attn_v, ffn_down and output, like llama.cpp's Q4_K_M):

<NAME>.gguf   a 2-layer Llama model, every matrix (token_embd, output, attn_*, ffn_*) in that type,
              norms and rope_freqs in F32. Non-K types: dim 64, ffn 128, head_dim 16, quantized by
              `gguf` from random normal values. K types (block 256): dim 256, ffn 256, head_dim 64,
              random block bytes whose f16 super-scales (d, dmin) are chosen so the dequantized
              values are finite, about zero-mean, with std ~ 1/sqrt(cols).
              A byte-level BPE vocabulary (300 tokens, trained with `tokenizers`, pre "gpt-2").
              Variants (VARIANT_OF says which fixture uses which):
                mha-tied  4 heads / 4 KV heads (Llama 2 style MHA), tied output, rope base 10000
                gqa-tied  4 heads / 1 KV head, tied output, rope base 10000 (SmolLM2 style)
                llama31   4 heads / 2 KV heads, separate output.weight, rope base 500000, rope_freqs
                mistral   4 heads / 1 KV head, separate output.weight, rope base 1e6
                mha-linear  like mha-tied with linear RoPE scaling, factor 4
broken/       models the engine must refuse (YaRN RoPE scaling, vocab_size disagreeing with
              token_embd, rope.dimension_count larger than the head) and expected_errors.json:
              {file stem: [words the error message must contain]}.
<NAME>.json   {"file", "variant", "tensor_types", "config", "cases": [{"name", "text"?, "ids",
              "prefill", "argmax_all", "rows": [{"pos", "logits"}]}]} — logits of
              scripts/reference_forward.py (numpy float64, weights dequantized by `gguf`).
              "prefill" is how many ids a decode test feeds in one pass before stepping one by one.
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import quants
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_forward import ReferenceModel  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ModelTests", "Fixtures", "breadth")

TYPES = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
         T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]
K_TYPES = {T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K}
# Byte offsets (inside one block) of the f16 super-scale d and, when present, dmin.
K_SCALE_FIELDS = {T.Q2_K: (80, 82), T.Q3_K: (108, None), T.Q4_K: (0, 2), T.Q5_K: (0, 2), T.Q6_K: (208, None)}
VARIANTS = {
    "mha-tied": dict(heads=4, kv_heads=4, separate_output=False, base=10000.0, rope_freqs=False),
    "gqa-tied": dict(heads=4, kv_heads=1, separate_output=False, base=10000.0, rope_freqs=False),
    "llama31": dict(heads=4, kv_heads=2, separate_output=True, base=500000.0, rope_freqs=True),
    "mistral": dict(heads=4, kv_heads=1, separate_output=True, base=1e6, rope_freqs=False),
    "mha-linear": dict(heads=4, kv_heads=4, separate_output=False, base=10000.0, rope_freqs=False, linear=4.0),
}
# Which variant each fixture uses (the K-sized fixtures avoid MHA to keep the files small).
VARIANT_OF = {"F32": "mha-tied", "F16": "llama31", "BF16": "mistral", "Q4_0": "gqa-tied", "Q4_1": "llama31",
              "Q5_0": "mistral", "Q5_1": "mha-linear", "Q8_0": "llama31", "Q2_K": "llama31", "Q3_K": "gqa-tied",
              "Q4_K": "mistral", "Q5_K": "gqa-tied", "Q6_K": "gqa-tied", "MIXED_Q4_K_M": "llama31"}
N_LAYERS = 2
VOCAB = 300
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog sleeps in the sun.",
    "Hello world! Hello there, how are you today? I am fine, thank you.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 and words with spaces   and tabs\tand lines\n",
    "the theory of the thing is that the three threads throw the thread there",
] * 4
TEXT = "<|im_start|>user\nHello there, the quick fox!<|im_end|>"


def train_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    tokens = [t for t, _ in vocab]
    assert [i for _, i in vocab] == list(range(len(tokens)))
    types = [3 if t in SPECIALS else 1 for t in tokens]  # CONTROL / NORMAL
    merges = json.loads(tok.to_str())["model"]["merges"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    return tok, tokens, types, merges


def llama31_rope_factors(head_dim, base, factor=8.0, low=1.0, high=4.0, old_ctx=8192):
    """The per-frequency divisors convert_hf_to_gguf.py writes as rope_freqs.weight."""
    out = []
    for i in range(0, head_dim, 2):
        freq = 1.0 / base ** (i / head_dim)
        wavelen = 2 * np.pi / freq
        if wavelen < old_ctx / high:
            out.append(1.0)
        elif wavelen > old_ctx / low:
            out.append(factor)
        else:
            s = (old_ctx / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - s) / factor + s))
    return np.asarray(out, dtype=np.float32)


def k_quant_matrix(rng, qtype, rows, cols, std):
    """Random K-quant block bytes with super-scales giving finite, ~zero-mean values of ~std."""
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    blocks = cols // block_elems
    raw = rng.integers(0, 256, size=(rows, blocks, block_bytes), dtype=np.uint8)
    d_off, m_off = K_SCALE_FIELDS[qtype]
    u = rng.uniform(0.5, 1.0, size=(rows, blocks))

    def with_scales(d, dmin):
        b = raw.copy()
        b[:, :, d_off:d_off + 2] = (u * d).astype(np.float16).view(np.uint8).reshape(rows, blocks, 2)
        if m_off is not None:
            b[:, :, m_off:m_off + 2] = (u * dmin).astype(np.float16).view(np.uint8).reshape(rows, blocks, 2)
        return b.reshape(rows, blocks * block_bytes)

    # Values are linear in (d, dmin): measure both parts at unit scale, then solve for zero mean
    # and the wanted std.
    a = quants.dequantize(with_scales(1.0, 0.0), qtype).astype(np.float64)
    ratio = 0.0
    if m_off is not None:
        m = quants.dequantize(with_scales(0.0, 1.0), qtype).astype(np.float64)
        ratio = -a.mean() / m.mean()
        a = a + ratio * m
    scale = std / a.std()
    data = with_scales(scale, scale * ratio)
    values = quants.dequantize(data, qtype)
    assert np.all(np.isfinite(values)) and values.std() > 0, qtype
    return data


def matrix(rng, qtype, rows, cols, std):
    if qtype in K_TYPES:
        return k_quant_matrix(rng, qtype, rows, cols, std), qtype
    x = (rng.standard_normal((rows, cols)) * std).astype(np.float32)
    if qtype == T.F32:
        return x, None
    if qtype == T.F16:
        return x.astype(np.float16), None
    return quants.quantize(x, qtype), qtype


def write_model(path, name, types_of, variant, rng, tokenizer_parts, broken=None):
    """types_of(tensor name) -> GGMLQuantizationType; `broken` overrides one metadata value
    (see BROKEN). Returns ({tensor name: type name}, config)."""
    broken = broken or {}
    v = VARIANTS[variant]
    k_sized = any(types_of(n) in K_TYPES for n in ("blk.0.attn_q.weight", "token_embd.weight"))
    dim, ffn, head_dim = (256, 256, 64) if k_sized else (64, 128, 16)
    heads, kv_heads = v["heads"], v["kv_heads"]
    _, tokens, token_types, merges = tokenizer_parts

    w = gguf.GGUFWriter(path, "llama")
    w.add_name(name)
    w.add_context_length(2048 if variant != "mistral" else 32768)
    w.add_embedding_length(dim)
    w.add_block_count(N_LAYERS)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(v["base"])
    w.add_rope_dimension_count(broken.get("rope_dimension_count", head_dim))
    if "linear" in v:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(v["linear"])
    if "rope_scaling" in broken:
        w.add_rope_scaling_type(broken["rope_scaling"])
        w.add_rope_scaling_factor(4.0)
    w.add_vocab_size(broken.get("vocab_size", VOCAB))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(token_types)
    w.add_token_merges(merges)
    w.add_bos_token_id(tokens.index("<|im_start|>"))
    w.add_eos_token_id(tokens.index("<|im_end|>"))
    w.add_add_bos_token(False)

    written = {}

    def add(tname, rows, cols, std):
        qtype = types_of(tname)
        data, raw = matrix(rng, qtype, rows, cols, std)
        if raw is None:
            w.add_tensor(tname, data)
        else:
            w.add_tensor(tname, data, raw_dtype=raw)
        written[tname] = qtype.name

    def add_f32(tname, values):
        w.add_tensor(tname, np.asarray(values, dtype=np.float32))
        written[tname] = "F32"

    add("token_embd.weight", VOCAB, dim, 2.5 / np.sqrt(dim))
    if v["rope_freqs"]:
        add_f32("rope_freqs.weight", llama31_rope_factors(head_dim, v["base"]))
    for layer in range(N_LAYERS):
        p = f"blk.{layer}."
        add_f32(p + "attn_norm.weight", 1 + 0.2 * rng.standard_normal(dim))
        add(p + "attn_q.weight", heads * head_dim, dim, 2.0 / np.sqrt(dim))
        add(p + "attn_k.weight", kv_heads * head_dim, dim, 2.0 / np.sqrt(dim))
        add(p + "attn_v.weight", kv_heads * head_dim, dim, 1.0 / np.sqrt(dim))
        add(p + "attn_output.weight", dim, heads * head_dim, 1.0 / np.sqrt(heads * head_dim))
        add_f32(p + "ffn_norm.weight", 1 + 0.2 * rng.standard_normal(dim))
        add(p + "ffn_gate.weight", ffn, dim, 1.5 / np.sqrt(dim))
        add(p + "ffn_up.weight", ffn, dim, 1.0 / np.sqrt(dim))
        add(p + "ffn_down.weight", dim, ffn, 1.0 / np.sqrt(ffn))
    add_f32("output_norm.weight", 1 + 0.2 * rng.standard_normal(dim))
    if v["separate_output"]:
        add("output.weight", VOCAB, dim, 3.0 / np.sqrt(dim))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return written, dict(dim=dim, ffn=ffn, head_dim=head_dim, heads=heads, kv_heads=kv_heads,
                         layers=N_LAYERS, vocab=VOCAB, rope_base=v["base"],
                         rope_freqs=v["rope_freqs"], rope_linear_scale=v.get("linear", 1.0), separate_output=v["separate_output"])


# Broken models (Q4_0, gqa-tied) the engine must refuse with an error naming the problem:
# name -> (metadata override, words the error message must contain).
BROKEN = {
    "yarn_rope_scaling": ({"rope_scaling": gguf.RopeScalingType.YARN}, ["yarn", "rope.scaling.type"]),
    "vocab_size_mismatch": ({"vocab_size": VOCAB + 1}, ["token_embd", str(VOCAB + 1)]),
    "rope_dimensions_too_large": ({"rope_dimension_count": 18}, ["rope.dimension_count", "18"]),
}


def cases_for(model, tok, rng):
    text_ids = tok.encode(TEXT, add_special_tokens=False).ids
    random_ids = [0, VOCAB - 1] + rng.integers(0, VOCAB, size=38).tolist()
    specs = [
        dict(name="text", text=TEXT, ids=text_ids, prefill=len(text_ids) // 2,
             positions=sorted({0, len(text_ids) // 2, len(text_ids) - 1})),
        dict(name="random ids", ids=random_ids, prefill=25, positions=[0, 1, 17, 24, 25, 31, 39]),
    ]
    out = []
    for s in specs:
        logits = model.logits(model.forward(s["ids"]))
        case = {k: s[k] for k in ("name", "text") if k in s}
        case.update(ids=[int(i) for i in s["ids"]], prefill=s["prefill"],
                    argmax_all=[int(i) for i in np.argmax(logits, axis=1)],
                    rows=[{"pos": p, "logits": [float("%.7g" % x) for x in logits[p]]} for p in s["positions"]])
        out.append(case)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(6_2024)
    parts = train_tokenizer()
    tok = parts[0]
    fixtures = [(t.name, (lambda t: lambda name: t)(t)) for t in TYPES]

    def q4_k_m(name):
        if name in ("output.weight",) or name.endswith("attn_v.weight") or name.endswith("ffn_down.weight"):
            return T.Q6_K
        return T.Q4_K
    fixtures.append(("MIXED_Q4_K_M", q4_k_m))

    for name, types_of in fixtures:
        variant = VARIANT_OF[name]
        path = os.path.join(OUT, name + ".gguf")
        written, config = write_model(path, f"random-{name}", types_of, variant, rng, parts)
        model = ReferenceModel(path, np.float64)
        cases = cases_for(model, tok, rng)
        scale = max(abs(x) for c in cases for r in c["rows"] for x in r["logits"])
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump({"file": name + ".gguf", "variant": variant, "config": config, "tensor_types": written,
                       "logit_scale": scale, "cases": cases}, f, indent=None, separators=(",", ":"))
            f.write("\n")
        print(f"{name:13s} {variant:8s} {os.path.getsize(path):8d} bytes, max|logit| {scale:.3f}")
    os.makedirs(os.path.join(OUT, "broken"), exist_ok=True)
    expected = {}
    for name, (override, words) in BROKEN.items():
        write_model(os.path.join(OUT, "broken", name + ".gguf"), name, lambda _: T.Q4_0, "gqa-tied", rng, parts, override)
        expected[name] = words
    with open(os.path.join(OUT, "broken", "expected_errors.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
