#!/usr/bin/env python3
"""Measure llama.cpp (llama-cpp-python) like `scope bench --json` does, and print the same JSON.

Usage: llamacpp_bench.py --model M --tokens-file T.json --prompt-tokens 512,2048 --gen-tokens 128 --threads 2 [--kv-type f16|f32]
T.json holds {"ids": [...]} (the prompt token ids, produced by `scope tokenize`), so both engines
see exactly the same tokens.

Speeds are llama.cpp's own timings (`llama_perf_context`: prompt-eval and eval milliseconds), so
the Python wrapper's per-token overhead (sampler set-up, logits copies) is not charged to llama.cpp.
The wall-clock speeds measured around the Python calls are reported beside them (`wall_*`).
"""
import argparse, json, resource, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokens-file", required=True)
    ap.add_argument("--prompt-tokens", default="512,2048,4096")
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kv-type", default="f16", choices=["f16", "f32"])
    a = ap.parse_args()
    import llama_cpp
    base = json.load(open(a.tokens_file))["ids"]
    lengths = [int(x) for x in a.prompt_tokens.split(",")]
    n_ctx = max(lengths) + a.gen_tokens + 8
    kv = llama_cpp.GGML_TYPE_F16 if a.kv_type == "f16" else llama_cpp.GGML_TYPE_F32
    t0 = time.perf_counter()
    llm = llama_cpp.Llama(model_path=a.model, n_ctx=n_ctx, n_threads=a.threads, n_threads_batch=a.threads,
                          n_batch=512, n_ubatch=512, type_k=kv, type_v=kv, verbose=False, logits_all=False)
    load = time.perf_counter() - t0
    prefill, decode = [], []
    for n in lengths:
        prompt = (base * (n // len(base) + 1))[:n]
        llm.reset()
        ctx = llm._ctx.ctx
        llama_cpp.llama_perf_context_reset(ctx)
        t1 = time.perf_counter()
        llm.eval(prompt)
        tp = time.perf_counter() - t1
        t2 = time.perf_counter()
        generated = 0
        for _ in range(a.gen_tokens - 1):
            tok = llm.sample(temp=0.0)
            llm.eval([tok])
            generated += 1
        td = time.perf_counter() - t2
        perf = llama_cpp.llama_perf_context(ctx)
        # llama.cpp may book the first generated token as prompt evaluation (n + 1): tolerated.
        if perf.n_p_eval not in (n, n + 1) or perf.n_eval < generated - 2:
            sys.exit(f"llamacpp_bench: llama.cpp counted {perf.n_p_eval} prompt and {perf.n_eval} decode tokens, "
                     f"expected {n} and {generated}")
        tp_internal = perf.t_p_eval_ms / 1000
        td_internal = perf.t_eval_ms / 1000
        prefill.append({"tokens": n, "tokens_per_second": perf.n_p_eval / tp_internal, "seconds": tp_internal,
                        "wall_tokens_per_second": n / tp})
        decode.append({"context": n, "tokens_per_second": perf.n_eval / td_internal if td_internal > 0 else 0,
                       "tokens": generated + 1, "wall_tokens_per_second": generated / td if td > 0 else 0})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"prefill": prefill, "decode": decode, "load_seconds": load, "peak_rss_bytes": rss,
                      "threads": a.threads, "engine": "llama.cpp " + getattr(llama_cpp, "__version__", "?")}))


if __name__ == "__main__":
    main()
