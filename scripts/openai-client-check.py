#!/usr/bin/env python3
"""Checks `scope serve` with the official `openai` Python client (pip install openai).

Either against a running server:
    scripts/openai-client-check.py --base-url http://127.0.0.1:8080/v1 [--api-key KEY]
or starting one on a free loopback port and stopping it with SIGTERM at the end (exit 0 expected):
    scripts/openai-client-check.py --start .build/release/scope [--model PATH]

Checks: models, chat, streaming chat (equal to the non-streaming greedy answer, usage chunk),
completions (text and token list), stop strings, kv_compression through extra_body (the response's
`kv` object; a bounded cache holds fewer rows than the full one), logprobs (chat, completions and echo's
prompt scores, read through the client's types), `n` choices (whole and streamed, seeded), JSON mode
(`response_format`), and OpenAI errors for bad input.
Prints one line per check and a summary; exits non-zero on any failure.
"""
import argparse
import re
import signal
import subprocess
import sys
import time

try:
    import openai
except ImportError:
    sys.exit("the openai package is missing: pip install openai")

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def models(client, model):
    ids = [m.id for m in client.models.list().data]
    assert ids, "no models listed"
    return f"models: {ids}"


@check
def chat(client, model):
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Name a colour."}],
                                       max_tokens=16, temperature=0)
    c = r.choices[0]
    assert c.message.role == "assistant" and isinstance(c.message.content, str) and c.message.content
    assert c.finish_reason in ("stop", "length"), c.finish_reason
    assert r.usage.completion_tokens > 0 and r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    return f"chat: {c.message.content!r} ({r.usage.completion_tokens} tokens, {c.finish_reason})"


@check
def streaming_chat(client, model):
    messages = [{"role": "user", "content": "Write one sentence about the sea."}]
    whole = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
    text, finishes, usage = "", [], None
    for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0,
                                                stream=True, stream_options={"include_usage": True}):
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            if choice.finish_reason:
                finishes.append(choice.finish_reason)
    assert text == whole.choices[0].message.content, (text, whole.choices[0].message.content)
    assert finishes == [whole.choices[0].finish_reason], finishes
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens
    return f"streaming chat: {len(text)} characters, equal to the non-streaming answer"


@check
def completions(client, model):
    r = client.completions.create(model=model, prompt="The capital of France is", max_tokens=8, temperature=0)
    assert isinstance(r.choices[0].text, str) and r.usage.completion_tokens > 0
    ids = client.completions.create(model=model, prompt=[504, 3575, 282], max_tokens=4)
    assert ids.usage.prompt_tokens == 3
    return f"completions: {r.choices[0].text!r}"


@check
def stop_string(client, model):
    messages = [{"role": "user", "content": "Count from one to ten in words."}]
    base = client.chat.completions.create(model=model, messages=messages, max_tokens=40, temperature=0)
    words = base.choices[0].message.content.split(" ")
    assert len(words) >= 4, base.choices[0].message.content
    stop = " " + words[2]
    r = client.chat.completions.create(model=model, messages=messages, max_tokens=40, temperature=0, stop=[stop])
    expected = base.choices[0].message.content.split(stop)[0]
    assert r.choices[0].message.content == expected and r.choices[0].finish_reason == "stop"
    return f"stop {stop!r}: {r.choices[0].message.content!r}"


@check
def kv_compression(client, model):
    messages = [{"role": "user", "content": "Tell a short story about a robot."}]
    full = client.chat.completions.create(model=model, messages=messages, max_tokens=64, temperature=0)
    kv = {"prefill": "h2o", "prefill_budget": 16, "window": 4, "decoding": "slide", "decoding_window": 24, "recent": 8}
    small = client.chat.completions.create(model=model, messages=messages, max_tokens=64, temperature=0,
                                           extra_body={"kv_compression": kv})
    full_kv, small_kv = full.model_extra["kv"], small.model_extra["kv"]
    assert small_kv["tokens_per_layer_final"] <= 16 + 24, small_kv
    assert small_kv["bytes_peak"] < full_kv["bytes_peak"], (small_kv, full_kv)
    return f"kv_compression: full {full_kv} vs h2o+slide {small_kv}"


@check
def logprobs(client, model):
    import math
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Name a colour."}],
                                       max_tokens=8, temperature=0, logprobs=True, top_logprobs=3)
    content = r.choices[0].logprobs.content
    assert content and len(content) <= r.usage.completion_tokens, (len(content or []), r.usage.completion_tokens)
    for t in content:
        assert t.logprob <= 0 and len(t.top_logprobs) == 3, t
        assert t.top_logprobs[0].token == t.token, "greedy: the sampled token is the most likely"
        assert bytes(t.bytes).decode("utf-8", "replace") == t.token, t
        assert sum(math.exp(a.logprob) for a in t.top_logprobs) <= 1 + 1e-6
    c = client.completions.create(model=model, prompt="The capital of France is", max_tokens=6, temperature=0, logprobs=2)
    lp = c.choices[0].logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) > 0, lp
    assert all(len(top) <= 2 and max(top.values()) == v for top, v in zip(lp.top_logprobs, lp.token_logprobs)), lp
    prompt = "The capital of France is Paris"
    e = client.completions.create(model=model, prompt=prompt, max_tokens=1, temperature=0, logprobs=1, echo=True)
    elp = e.choices[0].logprobs
    assert e.choices[0].text.startswith(prompt) and elp.token_logprobs[0] is None and elp.top_logprobs[0] is None, elp
    assert "".join(elp.tokens).startswith(prompt) and all(v <= 0 for v in elp.token_logprobs[1:]), elp
    score = sum(elp.token_logprobs[1:-1])
    # Several prompts in one request (as evaluation harnesses batch them): one choice each, in order.
    several = client.completions.create(model=model, prompt=[prompt, "Two plus two is"], max_tokens=1, temperature=0,
                                        logprobs=1, echo=True)
    assert [c.index for c in several.choices] == [0, 1], several.choices
    assert several.choices[0].logprobs.token_logprobs[:-1] == elp.token_logprobs[:-1], "a prompt scores as it does alone"
    return (f"logprobs: chat {[(t.token, round(t.logprob, 3)) for t in content[:3]]}…, completions {lp.tokens[:3]}…, "
            f"echo: log P({prompt!r}) = {score:.3f}")


@check
def choices(client, model):
    messages = [{"role": "user", "content": "Write one sentence about the sea."}]
    args = dict(model=model, messages=messages, max_tokens=20, temperature=1.0, seed=11)
    whole = client.chat.completions.create(n=3, **args)
    assert [c.index for c in whole.choices] == [0, 1, 2], whole.choices
    texts = [c.message.content for c in whole.choices]
    assert len(set(texts)) > 1, f"three seeds, one text: {texts}"
    alone = client.chat.completions.create(**args)
    assert alone.choices[0].message.content == texts[0], "choice 0 samples with the request's seed"
    assert whole.usage.prompt_tokens == alone.usage.prompt_tokens, "the prompt counts once"
    cached = alone.usage.prompt_tokens_details.cached_tokens
    assert cached == alone.usage.prompt_tokens, f"the repeated prompt was not served from the prompt cache ({cached} cached)"
    streamed = ["", "", ""]
    for chunk in client.chat.completions.create(n=3, stream=True, **args):
        for c in chunk.choices:
            streamed[c.index] += c.delta.content or ""
    assert streamed == texts, (streamed, texts)
    return f"choices: n=3 whole and streamed agree, {[t[:24] for t in texts]}; repeated prompt cached ({cached} tokens)"


@check
def json_mode(client, model):
    import json
    r = client.chat.completions.create(model=model, max_tokens=160, temperature=0, response_format={"type": "json_object"},
                                       messages=[{"role": "user", "content": "Describe a cat as a JSON object with name and age."}])
    assert r.choices[0].finish_reason == "stop", r.choices[0]
    value = json.loads(r.choices[0].message.content)
    assert isinstance(value, dict), value
    return f"json_mode: {json.dumps(value)[:60]}"


@check
def structured_output(client, model):
    """response_format json_schema from a pydantic model through the SDK's own parse helper (strict schema, $defs, enum, Optional)."""
    import enum
    from typing import Optional
    import pydantic

    class Colour(str, enum.Enum):
        black = "black"
        white = "white"
        ginger = "ginger"

    class Toy(pydantic.BaseModel):
        name: str
        squeaks: bool

    class Cat(pydantic.BaseModel):
        name: str
        age: int
        colour: Colour
        toys: list[Toy] = pydantic.Field(max_length=2)
        owner: Optional[str]

    parse = getattr(client.chat.completions, "parse", None) or client.beta.chat.completions.parse
    r = parse(model=model, max_tokens=200, temperature=0, response_format=Cat,
              messages=[{"role": "user", "content": "Describe a cat with its name, age, colour, toys and owner as JSON."}])
    assert r.choices[0].finish_reason == "stop", r.choices[0]
    cat = r.choices[0].message.parsed
    assert isinstance(cat, Cat), cat
    return f"structured_output: {cat.model_dump_json()[:70]}"


@check
def penalties(client, model):
    messages = [{"role": "user", "content": "Count from one to twenty in words."}]
    plain = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
    penalized = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0,
                                               frequency_penalty=2, presence_penalty=1)
    assert penalized.choices[0].message.content != plain.choices[0].message.content, "the penalties changed nothing"
    import json
    import urllib.request
    url = str(client.base_url).rstrip("/").removesuffix("/v1") + "/tokenize"
    request = urllib.request.Request(url, data=json.dumps({"prompt": "!", "add_special_tokens": False}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {client.api_key}"})
    tokens = json.load(urllib.request.urlopen(request, timeout=30))["tokens"]
    forced = client.completions.create(model=model, prompt="Hello", max_tokens=4, temperature=0,
                                       logit_bias={str(tokens[0]): 100})
    assert forced.choices[0].text == "!!!!", forced.choices[0].text
    return f"penalties: {penalized.choices[0].message.content[:40]!r}; logit_bias forces '!!!!'"


@check
def errors(client, model):
    seen = []
    for extra, param in [({"kv_compression": {"prefill": "h3o"}}, "kv_compression.prefill"),
                         ({"max_tokens": 0}, "max_tokens"), ({"n": 0}, "n"),
                         ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {
                             "type": "object", "properties": {"a": {"type": "string", "pattern": "^a"}}}}}},
                          "response_format.json_schema.schema.properties.a.pattern")]:
        try:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}], extra_body=extra)
            raise AssertionError(f"{extra} was accepted")
        except openai.BadRequestError as e:
            assert e.status_code == 400 and e.body.get("param") == param, (e.status_code, e.body)
            seen.append(param)
    try:
        client.chat.completions.create(model=model, messages=[])
        raise AssertionError("empty messages were accepted")
    except openai.BadRequestError:
        seen.append("messages")
    return f"errors: 400 for {seen}"


def start_server(scope, model, extra):
    args = [scope, "serve", "--port", "0"] + (["--model", model] if model else []) + extra
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            return proc, m.group(1) + "/v1"
    proc.kill()
    sys.exit("scope serve did not start")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    p.add_argument("--api-key", default="none")
    p.add_argument("--start", metavar="SCOPE", help="start `SCOPE serve` on a free loopback port, stop it at the end")
    p.add_argument("--model", help="with --start: the model file")
    a = p.parse_args()
    proc = None
    base_url = a.base_url
    if a.start:
        extra = ["--api-key", a.api_key] if a.api_key != "none" else []
        proc, base_url = start_server(a.start, a.model, extra)
    passed = failed = 0
    try:
        client = openai.OpenAI(base_url=base_url, api_key=a.api_key, timeout=120, max_retries=0)
        model = client.models.list().data[0].id
        for fn in CHECKS:
            try:
                print(f"ok    {fn(client, model)}", flush=True)
                passed += 1
            except Exception as e:  # report every failing check, then fail
                print(f"FAIL  {fn.__name__}: {type(e).__name__}: {e}", flush=True)
                failed += 1
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "killed after 60 s"
            if code == 0:
                print("ok    server exited 0 after SIGTERM")
                passed += 1
            else:
                print(f"FAIL  server exit after SIGTERM: {code}")
                failed += 1
    print(f"openai-client-check: {passed} checks passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
