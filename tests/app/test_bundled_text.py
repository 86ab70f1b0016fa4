"""The bundled evaluation text is long enough for real tokenizers: at least 8k
tokens, counted with llama.cpp's own vocabulary files (the ones that ship in
the llama-cpp-python sdist's vendor/llama.cpp/models)."""

from __future__ import annotations

import pytest

from app.cli.compare_cmd import read_text
from tests.support.real_models import vocab_file

MIN_TOKENS = 8192
VOCABS = ("llama-bpe", "llama-spm", "qwen2", "gpt-2")


@pytest.mark.parametrize("name", VOCABS)
def test_default_text_has_at_least_8k_tokens(name):
    path = vocab_file(name)
    from llama_cpp import Llama

    text, _ = read_text(None)
    vocab = Llama(str(path), vocab_only=True, verbose=False)
    n_tokens = len(vocab.tokenize(text, add_bos=True, special=False))
    assert n_tokens >= MIN_TOKENS, f"{name}: {n_tokens} tokens"


def test_default_text_is_plain_prose():
    text, name = read_text(None)
    assert name == "compare-default.txt"
    decoded = text.decode("utf-8")  # must be valid UTF-8
    assert "CC0" in decoded.splitlines()[0]  # its licence is stated where it is bundled
    assert len(decoded.split()) > 6000
