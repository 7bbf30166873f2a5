#!/usr/bin/env python3
"""An independent numpy forward pass of a Llama-family GGUF model (the test oracle for the engine).

Weights are dequantized with the `gguf` PyPI package (`gguf.quants.dequantize`), activations are
float64 by default (`--dtype float32` for a plain fp32 run). The model is the GGUF "llama"
architecture: RMSNorm, RoPE on adjacent pairs (x[2i], x[2i+1]) with frequency base^(-2i/d) divided
by `rope_freqs.weight[i]` when present (Llama 3.1), grouped-query attention, SwiGLU FFN, output
matrix `output.weight` or the tied `token_embd.weight`.

  pip install gguf numpy

  # check against the transformers fp32 reference of ../shared/conformance
  python3 scripts/reference_forward.py MODEL.gguf --check ../shared/conformance/smollm2_q4_1_reference.json

  # write a reference JSON for MODEL with the prompts of an existing reference (same layout)
  python3 scripts/reference_forward.py MODEL.gguf --prompts-from REF.json --write OUT.json

  # logits of token ids (prints argmax and the top logits of the last position)
  python3 scripts/reference_forward.py MODEL.gguf --ids 1 2 3

Also importable: `ReferenceModel(path)`, `.forward(ids, start, cache)`, `.logits(hidden)`.
"""
import argparse
import json
import sys
import time

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T


def _field_value(field):
    """The Python value of a GGUFReader field (scalar, string, or array)."""
    types = field.types
    if not types:
        return None
    if types[0] == gguf.GGUFValueType.ARRAY:
        if types[-1] == gguf.GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8", errors="replace") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    if types[0] == gguf.GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


class ReferenceModel:
    """A Llama GGUF loaded fully dequantized, run with numpy in `dtype`."""

    def __init__(self, path, dtype=np.float64):
        self.path = path
        self.dtype = dtype
        reader = gguf.GGUFReader(path)
        self.metadata = {name: _field_value(f) for name, f in reader.fields.items()
                         if not name.startswith("GGUF.")}
        arch = self.metadata["general.architecture"]
        if arch not in ("llama", "mistral"):
            raise ValueError(f"{path}: architecture {arch!r} is not llama-family")

        def key(k, default=None):
            v = self.metadata.get(f"{arch}.{k}", default)
            if v is None:
                raise ValueError(f"{path}: metadata {arch}.{k} missing")
            return v

        self.dim = int(key("embedding_length"))
        self.n_layers = int(key("block_count"))
        self.ffn = int(key("feed_forward_length"))
        self.n_heads = int(key("attention.head_count"))
        self.n_kv = int(key("attention.head_count_kv", self.n_heads))
        self.head_dim = int(key("attention.key_length", self.dim // self.n_heads))
        self.rope_dim = int(key("rope.dimension_count", self.head_dim))
        self.eps = float(key("attention.layer_norm_rms_epsilon", 1e-5))
        self.base = float(key("rope.freq_base", 10000.0))

        self.types = {}
        w = {}
        for t in reader.tensors:
            # gguf reports shapes in ggml order (ne0 first); numpy order is the reverse.
            shape = tuple(int(s) for s in reversed(t.shape.tolist()))
            values = gguf.quants.dequantize(t.data, t.tensor_type)
            w[t.name] = np.asarray(values, dtype=np.float32).reshape(shape).astype(dtype)
            self.types[t.name] = T(t.tensor_type).name
        self.w = w
        self.embedding = w["token_embd.weight"]
        self.output = w.get("output.weight", self.embedding)
        self.vocab = self.embedding.shape[0]

        half = self.rope_dim // 2
        inv = self.base ** (-(2.0 * np.arange(half, dtype=np.float64)) / self.rope_dim)
        if "rope_freqs.weight" in w:
            inv = inv / w["rope_freqs.weight"].astype(np.float64).reshape(-1)[:half]
        scaling = self.metadata.get(f"{arch}.rope.scaling.type", "none")
        if scaling == "linear":  # positions divided by the factor
            inv = inv / float(key("rope.scaling.factor"))
        elif scaling != "none":
            raise ValueError(f"{path}: RoPE scaling {scaling!r} is not implemented here")
        self.inv_freq = inv

    # -- pieces -------------------------------------------------------------------------------
    def rmsnorm(self, x, weight):
        ms = np.mean(x * x, axis=-1, keepdims=True)
        return x / np.sqrt(ms + self.eps) * weight

    def rope(self, x, positions):
        """x: [n, heads, head_dim]; rotates adjacent pairs of the first rope_dim values."""
        half = self.rope_dim // 2
        ang = np.outer(np.asarray(positions, dtype=np.float64), self.inv_freq)  # [n, half]
        cos = np.cos(ang).astype(self.dtype)[:, None, :]
        sin = np.sin(ang).astype(self.dtype)[:, None, :]
        out = x.copy()
        x0 = x[:, :, 0:2 * half:2]
        x1 = x[:, :, 1:2 * half:2]
        out[:, :, 0:2 * half:2] = x0 * cos - x1 * sin
        out[:, :, 1:2 * half:2] = x0 * sin + x1 * cos
        return out

    def new_cache(self):
        return [{"k": np.zeros((0, self.n_kv, self.head_dim), self.dtype),
                 "v": np.zeros((0, self.n_kv, self.head_dim), self.dtype)} for _ in range(self.n_layers)]

    # -- the pass -----------------------------------------------------------------------------
    def forward(self, ids, start=0, cache=None):
        """Runs token `ids` at positions start..start+n-1 (appending to `cache`, a list from
        `new_cache()`, if given) and returns the final-normed hidden states [n, dim]."""
        if cache is None:
            cache = self.new_cache()
        n = len(ids)
        positions = np.arange(start, start + n)
        x = self.embedding[np.asarray(ids, dtype=np.int64)].copy()
        group = self.n_heads // self.n_kv
        scale = 1.0 / np.sqrt(self.head_dim)
        for l in range(self.n_layers):
            p = f"blk.{l}."
            h = self.rmsnorm(x, self.w[p + "attn_norm.weight"])
            q = (h @ self.w[p + "attn_q.weight"].T).reshape(n, self.n_heads, self.head_dim)
            k = (h @ self.w[p + "attn_k.weight"].T).reshape(n, self.n_kv, self.head_dim)
            v = (h @ self.w[p + "attn_v.weight"].T).reshape(n, self.n_kv, self.head_dim)
            q = self.rope(q, positions)
            k = self.rope(k, positions)
            c = cache[l]
            c["k"] = np.concatenate([c["k"], k], axis=0)
            c["v"] = np.concatenate([c["v"], v], axis=0)
            keys, values = c["k"], c["v"]
            total = keys.shape[0]
            key_pos = np.arange(total) + (start + n - total)
            mask = key_pos[None, :] > positions[:, None]  # [n, total] causal
            out = np.empty((n, self.n_heads, self.head_dim), self.dtype)
            for hd in range(self.n_heads):
                g = hd // group
                s = (q[:, hd, :] @ keys[:, g, :].T) * scale
                s = np.where(mask, -np.inf, s)
                s = s - s.max(axis=1, keepdims=True)
                e = np.exp(s)
                probs = e / e.sum(axis=1, keepdims=True)
                out[:, hd, :] = probs @ values[:, g, :]
            x = x + out.reshape(n, self.n_heads * self.head_dim) @ self.w[p + "attn_output.weight"].T
            h = self.rmsnorm(x, self.w[p + "ffn_norm.weight"])
            gate = h @ self.w[p + "ffn_gate.weight"].T
            up = h @ self.w[p + "ffn_up.weight"].T
            act = gate / (1.0 + np.exp(-gate)) * up
            x = x + act @ self.w[p + "ffn_down.weight"].T
        return self.rmsnorm(x, self.w["output_norm.weight"])

    def logits(self, hidden):
        return hidden @ self.output.T

    def greedy(self, prompt, max_tokens, stop_ids):
        cache = self.new_cache()
        first = self.logits(self.forward(prompt, 0, cache)[-1:])[0]
        return greedy_loop(first, lambda t, pos: self.logits(self.forward([t], pos, cache))[0],
                           len(prompt), max_tokens, stop_ids)


def greedy_loop(last, step, pos, max_tokens, stops):
    """Greedy decoding from the logits `last` of the prompt's final position: `step(token, position)`
    returns the next logits. Returns the tokens and, per token, the gap between the two best logits
    (how close the argmax was to a tie). Shared with scripts/reference_forward_gemma3.py."""
    out, gaps = [], []
    for _ in range(max_tokens):
        top2 = np.sort(last)[-2:]
        gaps.append(float(top2[1] - top2[0]))
        t = int(np.argmax(last))
        out.append(t)
        if t in stops:
            break
        last = step(t, pos)
        pos += 1
    return out, gaps


# -- byte-level BPE detokenization (GPT-2 alphabet), enough to write `output_text` -------------
def _byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def decode(model, ids):
    tokens = model.metadata["tokenizer.ggml.tokens"]
    if model.metadata.get("tokenizer.ggml.model") != "gpt2":
        raise ValueError("decode() supports byte-level BPE vocabularies only")
    dec = _byte_decoder()
    data = bytearray()
    for i in ids:
        piece = tokens[i]
        if all(ch in dec for ch in piece):
            data += bytes(dec[ch] for ch in piece)
        else:
            data += piece.encode("utf-8")
    return data.decode("utf-8", errors="replace")


def stop_ids(model):
    md = model.metadata
    return {int(md[k]) for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id") if k in md}


def logsumexp(v):
    m = np.max(v)
    return float(m + np.log(np.sum(np.exp(v - m))))


def logits_case(model, text, ids, positions):
    hidden = model.forward(ids)
    logits = model.logits(hidden)
    case = {"text": text, "ids": [int(i) for i in ids],
            "argmax_all": [int(i) for i in np.argmax(logits, axis=1)], "positions": []}
    for p in positions:
        row = logits[p]
        top = np.argsort(-row, kind="stable")[:10]
        case["positions"].append({"pos": int(p), "top_ids": [int(i) for i in top],
                                  "top_logits": [float(row[i]) for i in top], "logsumexp": logsumexp(row)})
    return case, logits


def check(model, ref):
    """Compares against a reference JSON (conformance layout); returns (ok, report lines)."""
    ok, lines = True, []
    for c in ref["logits"]:
        t0 = time.time()
        _, logits = logits_case(model, c["text"], c["ids"], [])
        agree = float(np.mean(np.argmax(logits, axis=1) == np.asarray(c["argmax_all"])))
        worst = 0.0
        for p in c["positions"]:
            row = logits[p["pos"]]
            worst = max(worst, max(abs(row[i] - v) for i, v in zip(p["top_ids"], p["top_logits"])))
            worst = max(worst, abs(logsumexp(row) - p["logsumexp"]))
        good = agree >= 0.995 and worst <= 0.05
        ok &= good
        lines.append(f"logits {len(c['ids'])} tokens: argmax agreement {agree:.4f}, worst |Δ| {worst:.2e}"
                     f" ({time.time() - t0:.0f}s) {'OK' if good else 'FAIL'}")
    stops = stop_ids(model)
    for g in ref.get("greedy", []):
        out, gaps = model.greedy(g["prompt_ids"], len(g["output_ids"]), stops)
        same = out == g["output_ids"]
        if not same:
            k = next((i for i, (a, b) in enumerate(zip(out, g["output_ids"])) if a != b), min(len(out), len(g["output_ids"])))
            near_tie = k < len(gaps) and gaps[k] <= 0.01
            ok &= near_tie
            lines.append(f"greedy {g['user']!r}: diverges at step {k} (top-2 gap {gaps[k] if k < len(gaps) else 'n/a'})")
        else:
            lines.append(f"greedy {g['user']!r}: identical ({len(out)} tokens)")
    return ok, lines


def _gguf_version():
    try:
        from importlib.metadata import version
        return version("gguf")
    except Exception:
        return "(version unknown)"


def write_reference(model, ref, out_path, model_name):
    result = {"model": model_name,
              "reference": f"scripts/reference_forward.py (numpy {model.dtype.__name__}, weights dequantized by gguf {_gguf_version()})",
              "logits": [], "greedy": []}
    for c in ref["logits"]:
        case, _ = logits_case(model, c["text"], c["ids"], [p["pos"] for p in c["positions"]])
        result["logits"].append(case)
        print(f"logits case of {len(c['ids'])} tokens done", file=sys.stderr)
    stops = stop_ids(model)
    for g in ref["greedy"]:
        out, gaps = model.greedy(g["prompt_ids"], 48, stops)
        result["greedy"].append({"user": g["user"], "prompt_ids": g["prompt_ids"], "output_ids": out,
                                 "output_text": decode(model, out), "top2_gaps": gaps})
        print(f"greedy {g['user']!r}: {decode(model, out)!r}", file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--check", help="reference JSON (conformance layout) to compare against")
    ap.add_argument("--prompts-from", help="reference JSON whose prompts to use with --write")
    ap.add_argument("--write", help="output reference JSON")
    ap.add_argument("--ids", type=int, nargs="+")
    args = ap.parse_args()
    model = ReferenceModel(args.model, np.float64 if args.dtype == "float64" else np.float32)
    if args.check:
        with open(args.check) as f:
            ref = json.load(f)
        ok, lines = check(model, ref)
        print("\n".join(lines))
        sys.exit(0 if ok else 1)
    if args.write:
        with open(args.prompts_from) as f:
            ref = json.load(f)
        import os
        write_reference(model, ref, args.write, os.path.basename(args.model))
        return
    if args.ids:
        logits = model.logits(model.forward(args.ids))
        print("argmax", np.argmax(logits, axis=1).tolist())
        top = np.argsort(-logits[-1])[:10]
        print("top", [(int(i), float(logits[-1][i])) for i in top])


if __name__ == "__main__":
    main()
