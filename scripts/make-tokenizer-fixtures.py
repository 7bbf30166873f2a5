#!/usr/bin/env python3
"""Tokenizer fixtures for Tests/TokenizerTests/Fixtures (issue 6).

Trains SMALL vocabularies with the PyPI `tokenizers` package -- byte-level BPE with each
pre-tokenizer kind (gpt-2, smollm, llama-bpe, qwen2, default) and a SentencePiece-style `llama`
vocabulary (scores, "▁", byte fallback) -- writes each as a vocab-only GGUF (PyPI `gguf`), and
records the ids `tokenizers` gives for a shared input list in expected.json.

Usage: python3 scripts/make-tokenizer-fixtures.py [OUT_DIR]
       (default OUT_DIR: Tests/TokenizerTests/Fixtures/vocab)
Needs: pip install gguf tokenizers
"""
import json
import os
import sys

import gguf
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

# The pre-tokenizer patterns of llama.cpp (src/llama-vocab.cpp), HF-regex spelling.
GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")
DEFAULT = [r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", r"[0-9][0-9][0-9]"]

BYTE_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SPM_SPECIALS = ["<unk>", "<s>", "</s>"]

# Training text: prose, code, numbers, contractions, CJK, emoji (deterministic, ~10 KB).
CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog didn't mind; it's a lazy dog.",
    "She said: \"I'll be there at 10:30, won't you?\" They've agreed, we're ready, I'd go.",
    "DON'T SHOUT! IT'S FINE. WE'RE OK, THEY'LL SEE, I'M HERE, YOU'VE WON, HE'D KNOW.",
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning.",
    "In 2024 the population was 1,234,567 and the growth rate 3.14159 percent per year.",
    "def main(argv):\n    for i in range(100):\n        print(i * 2 + 1)\n    return 0\n",
    "if (x <= 42 && y >= 7) { z = x ^ y | 0xFF; } // bitwise ops ~ $cost + 5%",
    "Tab\tseparated\tvalues\tand\nnew lines\r\nwith carriage returns.",
    "日本語のテキストと中文的句子。東京は大きな都市です。我们喜欢学习。",
    "Emoji are fun 🤖🚀🎉 and so are smiles 😀😃 with thumbs 👍.",
    "Café, naïve, résumé, Ünïcödé, façade, jalapeño, São Paulo, Zürich.",
    "Question: what is 7 + 8? Answer: 15. Question: what is 12 * 12? Answer: 144.",
    "(A) option one (B) option two (C) option three (D) none of the above",
    "   indented text    with   irregular    spacing   ",
    "https://example.com/path?query=value&other=1 and email me@example.org",
] * 8

INPUTS = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n", "\t\n", " \n", "\n \n",
    "Hello world", " Hello world", "Hello World", "hello  world", "Hello\tworld", "Hello\nworld",
    "   leading spaces", "trailing spaces   ", "  both  ",
    "don't won't can't I'll we're they've she'd it's I'm",
    "DON'T WON'T CAN'T I'LL WE'RE THEY'VE SHE'D IT'S I'M",
    "Don'T We'Re 'quoted' \"double\" it''s", "x'\u017fy o'\u212ay",
    "1", "12", "123", "1234", "12345", "1234567890", "3.14159", "1,000,000", " 42", "x = 42 + y**2",
    "Ⅻ ½ ² ٣٤٥",
    "日本語のテキストと中文", "中文 测试", "東京は大きな都市です。",
    "emoji 🤖🚀 test", "👍🏽 👨‍👩‍👧", "🦩 flamingo",
    "Café naïve résumé — Ünïcödé",
    "<|im_start|>user\nHi<|im_end|>\n", "text<|endoftext|>more", "<|im_end|><|im_end|>",
    "<s>Hello</s>", "<unk> token",
    "line one\r\nline two", "def f(a, b):\n\treturn a+b\n", "!!! ??? ... ,,,",
    "(A) option (B)", "$100 + 5% = <x> ~y^z|w", "a\u00a0b\u3000c", "\u2028x\u2029",
    "https://example.com/a?b=c&d=e",
]


def byte_level_pre_tokenizer(kind):
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    if kind == "gpt-2":
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if kind == "smollm":
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    if kind == "llama-bpe":
        return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"), byte_level])
    if kind == "qwen2":
        return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2), behavior="isolated"), byte_level])
    if kind == "default":
        return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(p), behavior="isolated") for p in DEFAULT] + [byte_level])
    raise ValueError(kind)


def merges_of(tok):
    merges = json.loads(tok.to_str())["model"]["merges"]
    return [m if isinstance(m, str) else " ".join(m) for m in merges]


def byte_level_vocabulary(kind, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = byte_level_pre_tokenizer(kind)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=BYTE_SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    if kind == "llama-bpe":
        data = json.loads(tok.to_str())
        data["model"]["ignore_merges"] = True
        # Whole words that merges alone do not reach, so ignore_merges changes the result.
        vocab = data["model"]["vocab"]
        for word in ["Ġflamingo", "ĠÃľnÃ¯cÃ¶dÃ©"]:
            vocab.setdefault(word, len(vocab))
        tok = Tokenizer.from_str(json.dumps(data))
    vocab = tok.get_vocab()
    tokens = [None] * len(vocab)
    for text, i in vocab.items():
        tokens[i] = text
    types = [3 if t in BYTE_SPECIALS else 1 for t in tokens]
    return tok, tokens, types, merges_of(tok)


def sentencepiece_vocabulary(vocab_size):
    """A llama-style vocabulary: <unk> <s> </s>, 256 byte tokens, then BPE pieces scored by merge order.
    The reference tokenizer uses SentencePiece's rule (merge the adjacent pair whose concatenation is
    the best-scored piece) expressed as HF merges: every split of every piece, ordered by score."""
    trainer_tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    trainer_tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPM_SPECIALS, show_progress=False)
    trainer_tok.train_from_iterator(CORPUS, trainer)
    trained = sorted(trainer_tok.get_vocab().items(), key=lambda kv: kv[1])
    pieces = [t for t, _ in trained if t not in SPM_SPECIALS]
    tokens = SPM_SPECIALS + ["<0x%02X>" % b for b in range(256)] + pieces
    types = [2, 3, 3] + [6] * 256 + [1] * len(pieces)
    scores = [0.0] * (3 + 256) + [-float(i) for i in range(len(pieces))]
    ids = {t: i for i, t in enumerate(tokens)}
    normal = set(pieces)
    merges = []
    for piece in pieces:
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in normal and right in normal:
                merges.append((-scores[ids[piece]], ids[left], left, right))
    merges.sort()
    ref = Tokenizer(models.BPE(vocab=ids, merges=[(l, r) for _, _, l, r in merges], unk_token="<unk>",
                               byte_fallback=True, fuse_unk=True))
    ref.normalizer = trainer_tok.normalizer
    ref.add_special_tokens(SPM_SPECIALS)
    return ref, tokens, types, scores


def write_gguf(path, model, pre, tokens, types, merges=None, scores=None, special=None, flags=None):
    w = gguf.GGUFWriter(path, "llama")
    w.add_tokenizer_model(model)
    if pre is not None:
        w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    if merges is not None:
        w.add_token_merges(merges)
    if scores is not None:
        w.add_token_scores(scores)
    for key, value in (special or {}).items():
        getattr(w, "add_%s_token_id" % key)(value)
    for key, value in (flags or {}).items():
        getattr(w, "add_" + key)(value)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_malformed(out):
    """Vocab-only GGUFs with one tokenizer key wrong, for error-message tests."""
    def write(name, fill):
        w = gguf.GGUFWriter(os.path.join(out, name), "llama")
        fill(w)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()

    def tokens_as_integers(w):
        w.add_tokenizer_model("gpt2")
        w.add_array("tokenizer.ggml.tokens", [1, 2, 3])

    def no_model(w):
        w.add_token_list(["a", "b"])

    def bad_token_type(w):
        w.add_tokenizer_model("llama")
        w.add_token_list(["a", "b"])
        w.add_token_types([1, 9])

    def model_as_integer(w):
        w.add_uint32("tokenizer.ggml.model", 2)
        w.add_token_list(["a", "b"])

    write("bad-tokens-type.gguf", tokens_as_integers)
    write("bad-no-model.gguf", no_model)
    write("bad-token-type-value.gguf", bad_token_type)
    write("bad-model-type.gguf", model_as_integer)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("Tests", "TokenizerTests", "Fixtures", "vocab")
    os.makedirs(out, exist_ok=True)
    entries = []
    for kind in ["gpt-2", "smollm", "llama-bpe", "qwen2", "default"]:
        tok, tokens, types, merges = byte_level_vocabulary(kind, 700)
        name = "bpe-%s.gguf" % kind
        ids = {t: i for i, t in enumerate(tokens)}
        write_gguf(os.path.join(out, name), "gpt2", kind, tokens, types, merges=merges,
                   special={"bos": ids["<|im_start|>"], "eos": ids["<|endoftext|>"]},
                   flags={"add_bos_token": False})
        entries.append({"name": kind, "file": name, "ids": [tok.encode(t, add_special_tokens=False).ids for t in INPUTS]})
    tok, tokens, types, scores = sentencepiece_vocabulary(700)
    write_gguf(os.path.join(out, "spm-llama.gguf"), "llama", None, tokens, types, scores=scores,
               special={"bos": 1, "eos": 2, "unk": 0},
               flags={"add_bos_token": True, "add_eos_token": False, "add_space_prefix": True})
    entries.append({"name": "llama-spm", "file": "spm-llama.gguf",
                    "ids": [tok.encode(t, add_special_tokens=False).ids for t in INPUTS]})
    write_malformed(out)
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "scripts/make-tokenizer-fixtures.py", "tokenizers": __import__("tokenizers").__version__,
                   "inputs": INPUTS, "vocabularies": entries}, f, ensure_ascii=False, indent=1)
    for e in entries:
        print(e["name"], os.path.getsize(os.path.join(out, e["file"])), "bytes")


if __name__ == "__main__":
    main()
