"""The second demo architecture: a tiny gemma3 with sliding-window attention on a real vocabulary.

Needs llama.cpp's models/ggml-vocab-llama-spm.gguf from the pinned sdist (skips without it).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
from pathlib import Path

import gguf
import pytest

from app.cli.main import main
from models.demo.gemma3 import SLIDING_WINDOW, SPEC, SWA_PATTERN, VOCAB_NAME, build_demo_gemma3
from tests.support.real_models import vocab_file

SEPARATOR = "\n__ggml_vocab_test__\n"


@pytest.fixture(scope="module")
def vocab() -> Path:
    return vocab_file(VOCAB_NAME)


@pytest.fixture(scope="module")
def gemma3_files(vocab: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    files = build_demo_gemma3(tmp_path_factory.mktemp("gemma3"), None, vocab_file=vocab, quants=("Q8_0",))
    return {label.split()[-1]: path for label, path in files}


@pytest.fixture(scope="module")
def llm(gemma3_files: dict[str, Path]):
    from llama_cpp import Llama

    model = Llama(str(gemma3_files["F32"]), n_ctx=512, n_threads=2, verbose=False)
    yield model
    model.close()


def _meta(llm, key: str) -> str:
    import llama_cpp

    buffer = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_model_meta_val_str(llm._model.model, key.encode(), buffer, len(buffer))
    assert n >= 0, f"no {key} in the model"
    return buffer.value.decode()


def test_the_file_is_gemma3_with_swa_and_the_real_tokenizer(gemma3_files, vocab) -> None:
    reader, source = gguf.GGUFReader(gemma3_files["F32"]), gguf.GGUFReader(vocab)
    assert reader.get_field("general.architecture").contents() == "gemma3"
    assert reader.get_field("gemma3.attention.sliding_window").contents() == SLIDING_WINDOW
    assert reader.get_field("gemma3.block_count").contents() == SPEC.n_layers
    for key in ("tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.bos_token_id"):
        assert reader.get_field(key).contents() == source.get_field(key).contents()
    names = {t.name for t in reader.tensors}
    assert "output.weight" not in names  # tied to token_embd, as Gemma's are
    assert {"blk.0.attn_q_norm.weight", "blk.0.post_attention_norm.weight", "blk.0.post_ffw_norm.weight"} <= names


def test_llama_cpp_loads_it_as_gemma3_with_interleaved_swa(llm) -> None:
    import llama_cpp

    assert _meta(llm, "general.architecture") == "gemma3"
    assert llama_cpp.llama_model_n_swa(llm._model.model) == SLIDING_WINDOW
    assert _meta(llm, "gemma3.attention.sliding_window_pattern") == str(SWA_PATTERN)
    assert llm.n_vocab() == 32000


def test_tokenizes_like_llama_cpps_own_vocab_tests(llm, vocab: Path) -> None:
    """llama.cpp's tests/test-tokenizer-0 cases for this vocabulary, token for token."""
    texts = vocab.with_name(vocab.name + ".inp").read_text(encoding="utf-8").split(SEPARATOR)[:-1]
    expected = vocab.with_name(vocab.name + ".out").read_text(encoding="utf-8").splitlines()
    assert len(texts) == len(expected) > 20
    for text, ids in zip(texts, expected, strict=True):
        assert llm.tokenize(text.encode(), add_bos=False, special=False) == [int(i) for i in ids.split()], text


def test_generation_crosses_the_window_and_repeats_with_a_seed(gemma3_files, capsys) -> None:
    n = SLIDING_WINDOW + 16  # prompt + reply cross the 64-token window
    args = ["generate", str(gemma3_files["Q8_0"]), "-p", "The quick brown fox", "-n", str(n), "-c", "256", "--json"]
    runs = []
    for seed in ("7", "7", "8"):
        assert main([*args, "--seed", seed]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0]["stats"]["n_gen"] == n
    assert runs[0]["text"].strip() and runs[0]["text"] == runs[1]["text"]
    assert runs[2]["text"] != runs[0]["text"]


def test_the_build_is_deterministic_and_reused(vocab, gemma3_files, tmp_path) -> None:
    again = dict((label.split()[-1], path) for label, path in build_demo_gemma3(tmp_path, None, vocab, quants=()))
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (again["F32"], gemma3_files["F32"])]
    assert digest[0] == digest[1]
    mtime = again["F32"].stat().st_mtime_ns
    build_demo_gemma3(tmp_path, None, vocab, quants=())
    assert again["F32"].stat().st_mtime_ns == mtime  # kept, not rewritten
    other = build_demo_gemma3(tmp_path / "seed1", None, vocab, quants=(), seed=1)[0][1]
    assert hashlib.sha256(other.read_bytes()).hexdigest() != digest[0]


def test_demo_models_cli_builds_the_gemma3_kind(vocab, tmp_path, capsys) -> None:
    assert main(["demo-models", str(tmp_path), "--kinds", "gemma3"]) == 0
    out = capsys.readouterr().out
    assert "gemma3-tiny F32" in out and "gemma3-tiny Q4_K_M" in out
    assert (tmp_path / "workbench-gemma3-tiny-Q4_K_M.gguf").is_file()
