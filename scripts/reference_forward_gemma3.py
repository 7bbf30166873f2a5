#!/usr/bin/env python3
"""An fp32 reference forward pass of a Gemma 3 GGUF model, and the writer of its conformance fixture.

Two independent oracles, neither sharing code with the Swift engine:

* `--backend transformers` (default when torch is installed): Hugging Face transformers'
  `Gemma3ForCausalLM`, loaded from the GGUF itself (transformers dequantizes every tensor to
  float32 and undoes the converter's `1 + weight` norm convention), run in float32 with eager
  attention. This is "the same way" as SmolLM2's conformance file (transformers fp32, GGUF
  dequantized).
* `--backend numpy`: a numpy pass written from the Gemma 3 definition (weights dequantized by the
  `gguf` package; float32 or float64 activations): per-head query/key RMSNorm, NEOX RoPE with base
  1e6 on global layers and 1e4 on the sliding-window layers (5 local : 1 global, window from
  `gemma3.attention.sliding_window`), post-attention and post-feed-forward norms, GeGLU with tanh
  GELU, embeddings times sqrt(dim), tied output head. Used to cross-check the first.

  pip install gguf numpy            # numpy backend
  pip install torch transformers    # transformers backend (also its tokenizer, from the GGUF)

  # write the fixture (three long prompts, two greedy prompts), tokenized by transformers
  python3 scripts/reference_forward_gemma3.py MODEL.gguf --write Tests/ModelTests/Fixtures/gemma3/gemma-3-270m-q4_k_m.json

  # compare one backend against a fixture written by the other
  python3 scripts/reference_forward_gemma3.py MODEL.gguf --backend numpy --check FIXTURE.json
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import gguf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_forward import _field_value, greedy_loop, logsumexp  # noqa: E402

LOCAL_ROPE_BASE = 10000.0   # Gemma3TextConfig.rope_local_base_freq (not stored in the GGUF)
LAYER_PERIOD = 6            # sliding_window_pattern: layer l is global when (l + 1) % 6 == 0


class NumpyGemma3:
    def __init__(self, path, dtype=np.float32):
        self.dtype = dtype
        reader = gguf.GGUFReader(path)
        self.metadata = {n: _field_value(f) for n, f in reader.fields.items() if not n.startswith("GGUF.")}
        md = self.metadata
        if md["general.architecture"] != "gemma3":
            raise ValueError(f"{path}: not a gemma3 GGUF")
        self.dim = int(md["gemma3.embedding_length"])
        self.n_layers = int(md["gemma3.block_count"])
        self.n_heads = int(md["gemma3.attention.head_count"])
        self.n_kv = int(md["gemma3.attention.head_count_kv"])
        self.head_dim = int(md["gemma3.attention.key_length"])
        self.eps = float(md["gemma3.attention.layer_norm_rms_epsilon"])
        self.window = int(md["gemma3.attention.sliding_window"])
        period = int(md.get("gemma3.attention.sliding_window_pattern", LAYER_PERIOD))
        self.is_local = [(l + 1) % period != 0 for l in range(self.n_layers)]
        w = {}
        for t in reader.tensors:
            shape = tuple(int(s) for s in reversed(t.shape.tolist()))
            w[t.name] = np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), np.float32).reshape(shape).astype(dtype)
        self.w = w
        self.embedding = w["token_embd.weight"]
        self.output = w.get("output.weight", self.embedding)
        half = self.head_dim // 2

        def inv(base):
            return (1.0 / (base ** (np.arange(0, self.head_dim, 2, dtype=np.int64).astype(np.float32) / self.head_dim))).astype(np.float32)
        self.inv_global = inv(float(md["gemma3.rope.freq_base"]))
        if md.get("gemma3.rope.scaling.type", "none") == "linear":
            self.inv_global = self.inv_global / float(md["gemma3.rope.scaling.factor"])
        self.inv_local = inv(LOCAL_ROPE_BASE)
        assert self.inv_local.shape[0] == half
        # query_pre_attn_scalar: head_dim for every size but 27B (dim / heads)
        qpas = self.dim // self.n_heads if self.n_layers == 62 else self.head_dim
        self.scale = qpas ** -0.5

    def rms(self, x, weight):
        ms = np.mean(x * x, axis=-1, keepdims=True)
        return (x / np.sqrt(ms + self.eps) * weight).astype(self.dtype)

    def rope(self, x, positions, inv):
        ang = np.outer(np.asarray(positions, np.float32), inv)  # float32 angles, as in transformers
        cos = np.cos(ang).astype(self.dtype)[:, None, :]
        sin = np.sin(ang).astype(self.dtype)[:, None, :]
        h = self.head_dim // 2
        x0, x1 = x[..., :h], x[..., h:]
        return np.concatenate([x0 * cos - x1 * sin, x1 * cos + x0 * sin], axis=-1)

    def new_cache(self):
        return [{"k": np.zeros((0, self.n_kv, self.head_dim), self.dtype),
                 "v": np.zeros((0, self.n_kv, self.head_dim), self.dtype)} for _ in range(self.n_layers)]

    def forward(self, ids, start=0, cache=None):
        if cache is None:
            cache = self.new_cache()
        n = len(ids)
        pos = np.arange(start, start + n)
        x = self.embedding[np.asarray(ids, np.int64)] * np.asarray(np.sqrt(self.dim), self.dtype)
        group = self.n_heads // self.n_kv
        for l in range(self.n_layers):
            p = f"blk.{l}."
            h = self.rms(x, self.w[p + "attn_norm.weight"])
            q = (h @ self.w[p + "attn_q.weight"].T).reshape(n, self.n_heads, self.head_dim)
            k = (h @ self.w[p + "attn_k.weight"].T).reshape(n, self.n_kv, self.head_dim)
            v = (h @ self.w[p + "attn_v.weight"].T).reshape(n, self.n_kv, self.head_dim)
            q = self.rms(q, self.w[p + "attn_q_norm.weight"])
            k = self.rms(k, self.w[p + "attn_k_norm.weight"])
            inv = self.inv_local if self.is_local[l] else self.inv_global
            q, k = self.rope(q, pos, inv), self.rope(k, pos, inv)
            c = cache[l]
            c["k"] = np.concatenate([c["k"], k]); c["v"] = np.concatenate([c["v"], v])
            total = c["k"].shape[0]
            key_pos = np.arange(total) + (start + n - total)
            mask = key_pos[None, :] > pos[:, None]
            if self.is_local[l]:
                mask |= key_pos[None, :] <= pos[:, None] - self.window
            out = np.empty((n, self.n_heads, self.head_dim), self.dtype)
            for hd in range(self.n_heads):
                g = hd // group
                s = (q[:, hd, :] @ c["k"][:, g, :].T) * self.dtype(self.scale)
                s = np.where(mask, -np.inf, s)
                e = np.exp(s - s.max(axis=1, keepdims=True))
                out[:, hd, :] = (e / e.sum(axis=1, keepdims=True)) @ c["v"][:, g, :]
            a = out.reshape(n, -1) @ self.w[p + "attn_output.weight"].T
            x = x + self.rms(a, self.w[p + "post_attention_norm.weight"])
            h = self.rms(x, self.w[p + "ffn_norm.weight"])
            gate = h @ self.w[p + "ffn_gate.weight"].T
            up = h @ self.w[p + "ffn_up.weight"].T
            c0 = self.dtype(np.sqrt(2 / np.pi))
            act = 0.5 * gate * (1 + np.tanh(c0 * (gate + self.dtype(0.044715) * gate ** 3))) * up
            f = act @ self.w[p + "ffn_down.weight"].T
            x = x + self.rms(f, self.w[p + "post_ffw_norm.weight"])
        return self.rms(x, self.w["output_norm.weight"])

    def logits(self, hidden):
        return hidden @ self.output.T

    def logits_of(self, ids):
        return self.logits(self.forward(ids))

    def greedy(self, prompt, max_tokens, stops):
        cache = self.new_cache()
        first = self.logits(self.forward(prompt, 0, cache)[-1:])[0]
        return greedy_loop(first, lambda t, pos: self.logits(self.forward([t], pos, cache))[0],
                           len(prompt), max_tokens, stops)


class TransformersGemma3:
    def __init__(self, path):
        import torch
        from transformers import AutoModelForCausalLM
        self.torch = torch
        folder, name = os.path.split(os.path.abspath(path))
        self.model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32,
                                                          attn_implementation="eager").eval()
        self.metadata = {n: _field_value(f) for n, f in gguf.GGUFReader(path).fields.items()
                         if n.startswith("tokenizer.ggml.") and n not in ("tokenizer.ggml.scores", "tokenizer.ggml.token_type")}

    def logits_of(self, ids):
        with self.torch.no_grad():
            return self.model(self.torch.tensor([ids])).logits[0].float().numpy()

    def greedy(self, prompt, max_tokens, stops):
        torch = self.torch
        with torch.no_grad():
            res = self.model(torch.tensor([prompt]), use_cache=True)
            state = {"past": res.past_key_values}

            def step(t, _pos):
                out = self.model(torch.tensor([[t]]), past_key_values=state["past"], use_cache=True)
                state["past"] = out.past_key_values
                return out.logits[0, -1].float().numpy()

            return greedy_loop(res.logits[0, -1].float().numpy(), step, len(prompt), max_tokens, stops)


def stop_ids(metadata):
    return {int(metadata[k]) for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id") if k in metadata}


def long_texts():
    """Three public-domain-style long texts of this repository (≥ 1,000 Gemma tokens each)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    texts = []
    for rel in ("README.md", "BENCHMARKS.md", "docs/model-breadth.md"):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            texts.append(f.read()[:6000])
    return texts


# Two prompts in the shapes a base model answers: a plain question/answer pair and a Gemma turn
# (the base file has the turn tokens but no chat template). Not "The capital of France is": on it
# this model (and llama.cpp on the same file) continues " the capital of the country of France."
GREEDY_PROMPTS = ["Question: What is the capital of France?\nAnswer:",
                  "<start_of_turn>user\nWrite a short story about a robot who learns to paint.<end_of_turn>\n<start_of_turn>model\n"]


def write(model, tokenizer, out_path, model_name, reference):
    result = {"model": model_name, "reference": reference, "tokenizer": [], "logits": [], "greedy": []}
    for s in ["Hello world", " leading space", "tabs\tand\nnewlines\n\n", "digits 12345 and 3.14159",
              "ünïcödé 日本語 🤖", "<start_of_turn>user\nHi<end_of_turn>\n", "  two  spaces  "]:
        result["tokenizer"].append({"text": s, "ids": tokenizer(s, add_special_tokens=False)["input_ids"]})
    for text in long_texts():
        ids = tokenizer(text)["input_ids"][:1200]
        t0 = time.time()
        logits = model.logits_of(ids)
        case = {"text": tokenizer.decode(ids[1:]), "ids": [int(i) for i in ids],
                "argmax_all": [int(i) for i in np.argmax(logits, axis=1)], "positions": []}
        for p in list(range(0, len(ids), 97)) + [len(ids) - 1]:
            row = logits[p]
            top = np.argsort(-row, kind="stable")[:10]
            case["positions"].append({"pos": int(p), "top_ids": [int(i) for i in top],
                                      "top_logits": [float(row[i]) for i in top], "logsumexp": logsumexp(row)})
        result["logits"].append(case)
        print(f"logits case of {len(ids)} tokens ({time.time() - t0:.0f}s)", file=sys.stderr)
    stops = stop_ids(model.metadata)
    for prompt in GREEDY_PROMPTS:
        ids = tokenizer(prompt)["input_ids"]
        out, gaps = model.greedy(ids, 48, stops)
        result["greedy"].append({"prompt": prompt, "prompt_ids": ids, "output_ids": out,
                                 "output_text": tokenizer.decode(out), "top2_gaps": gaps})
        print(f"greedy {prompt!r}: {tokenizer.decode(out)!r}", file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def check(model, ref):
    ok = True
    for c in ref["logits"]:
        t0 = time.time()
        logits = model.logits_of(c["ids"])
        agree = float(np.mean(np.argmax(logits, axis=1) == np.asarray(c["argmax_all"])))
        worst = 0.0
        for p in c["positions"]:
            row = logits[p["pos"]]
            worst = max(worst, max(abs(row[i] - v) for i, v in zip(p["top_ids"], p["top_logits"])),
                        abs(logsumexp(row) - p["logsumexp"]))
        good = agree >= 0.995 and worst <= 0.05
        ok &= good
        print(f"logits {len(c['ids'])} tokens: argmax agreement {agree:.4f}, worst |Δ| {worst:.2e} "
              f"({time.time() - t0:.0f}s) {'OK' if good else 'FAIL'}")
    stops = stop_ids(model.metadata)
    for g in ref["greedy"]:
        out, gaps = model.greedy(g["prompt_ids"], len(g["output_ids"]), stops)
        same = out == g["output_ids"]
        ok &= same
        print(f"greedy {g['prompt']!r}: {'identical' if same else 'DIFFERENT'} ({len(out)} tokens)")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--backend", choices=["transformers", "numpy"], default="transformers")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="numpy backend activations")
    ap.add_argument("--write", help="output fixture JSON (needs transformers for the tokenizer)")
    ap.add_argument("--check", help="fixture JSON to compare against")
    args = ap.parse_args()
    if args.backend == "numpy":
        model = NumpyGemma3(args.model, np.float32 if args.dtype == "float32" else np.float64)
        name = f"scripts/reference_forward_gemma3.py numpy {args.dtype} (gguf dequantized)"
    else:
        import torch
        import transformers
        model = TransformersGemma3(args.model)
        name = f"transformers {transformers.__version__} fp32 (GGUF dequantized), torch {torch.__version__}"
    if args.write:
        from transformers import AutoTokenizer
        folder, file = os.path.split(os.path.abspath(args.model))
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
        write(model, tokenizer, args.write, os.path.basename(args.model), name)
    if args.check:
        with open(args.check) as f:
            sys.exit(0 if check(model, json.load(f)) else 1)


if __name__ == "__main__":
    main()
