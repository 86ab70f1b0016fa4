"""The demo-model factory: deterministic tiny llama GGUFs and their quants.

The ladder itself is built once per session by conftest's `demo_ladder`.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import gguf
import pytest

from models.demo.factory import (
    QUANT_LADDER,
    SPECS,
    build_demo_models,
    quantize,
    write_base_model,
)
from models.demo.vocab import BOS_TOKEN, IM_END, IM_START, build_vocab
from models.errors import WorkbenchError
from tests.support.paths import REPO_ROOT


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def field(reader: gguf.GGUFReader, key: str):
    f = reader.get_field(key)
    assert f is not None, f"missing {key}"
    return f.contents()


# --- base model (pure gguf) -------------------------------------------------

def test_base_model_has_llama_metadata_and_tensors(tmp_path: Path) -> None:
    path = write_base_model(tmp_path / "base.gguf", spec="tiny", seed=0)
    reader = gguf.GGUFReader(path)
    spec = SPECS["tiny"]
    vocab = build_vocab()
    expected = {
        "general.architecture": "llama",
        "general.file_type": int(gguf.LlamaFileType.ALL_F32),
        "llama.context_length": spec.n_ctx_train,
        "llama.embedding_length": spec.n_embd,
        "llama.block_count": spec.n_layers,
        "llama.feed_forward_length": spec.n_ff,
        "llama.attention.head_count": spec.n_head,
        "llama.attention.head_count_kv": spec.n_head_kv,
        "llama.rope.dimension_count": spec.n_embd // spec.n_head,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": "gpt-2",
        "tokenizer.ggml.add_bos_token": True,
    }
    for key, value in expected.items():
        assert field(reader, key) == value, key

    tokens = field(reader, "tokenizer.ggml.tokens")
    assert len(tokens) == len(vocab.tokens) == field(reader, "llama.vocab_size")
    assert tokens[field(reader, "tokenizer.ggml.eos_token_id")] == IM_END
    assert tokens[field(reader, "tokenizer.ggml.bos_token_id")] == BOS_TOKEN
    assert IM_START in tokens
    assert len(field(reader, "tokenizer.ggml.merges")) >= 32
    assert "<|im_start|>" in field(reader, "tokenizer.chat_template")

    shapes = {t.name: tuple(int(n) for n in t.shape) for t in reader.tensors}  # ggml ne order
    assert len(shapes) == 3 + 9 * spec.n_layers
    assert shapes["token_embd.weight"] == (spec.n_embd, len(tokens))
    assert shapes["blk.0.ffn_down.weight"] == (spec.n_ff, spec.n_embd)
    assert shapes["blk.3.attn_k.weight"] == (spec.n_embd, spec.n_head_kv * spec.n_embd // spec.n_head)
    assert all(t.tensor_type == gguf.GGMLQuantizationType.F32 for t in reader.tensors)
    assert not list(tmp_path.glob("*.part"))


def test_f16_base_keeps_norms_f32(tmp_path: Path) -> None:
    reader = gguf.GGUFReader(write_base_model(tmp_path / "f16.gguf", dtype="F16"))
    assert field(reader, "general.file_type") == int(gguf.LlamaFileType.MOSTLY_F16)
    types = {t.name: t.tensor_type for t in reader.tensors}
    assert types["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.F16
    assert types["blk.0.attn_norm.weight"] == gguf.GGMLQuantizationType.F32


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = write_base_model(tmp_path / "a.gguf", seed=0)
    b = write_base_model(tmp_path / "b.gguf", seed=0)
    c = write_base_model(tmp_path / "c.gguf", seed=1)
    assert sha256(a) == sha256(b)
    assert sha256(a) != sha256(c)


def test_writing_base_models_does_not_import_llama_cpp() -> None:
    code = "import sys, models.demo.factory; print('llama_cpp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bad_spec_dtype_and_seed_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="tiny"):
        write_base_model(tmp_path / "x.gguf", spec="huge")
    with pytest.raises(WorkbenchError, match="F16"):
        write_base_model(tmp_path / "x.gguf", dtype="BF16")
    with pytest.raises(WorkbenchError, match="seed"):
        write_base_model(tmp_path / "x.gguf", seed=-1)
    assert not list(tmp_path.iterdir())


# --- the quant ladder -------------------------------------------------------

def test_ladder_file_types_and_sizes(demo_ladder: dict[str, Path]) -> None:
    assert list(demo_ladder) == ["F32", *QUANT_LADDER]
    for quant in QUANT_LADDER:
        reader = gguf.GGUFReader(demo_ladder[quant])
        assert field(reader, "general.file_type") == int(gguf.LlamaFileType[f"MOSTLY_{quant}"]), quant
    sizes = [demo_ladder[q].stat().st_size for q in ["F32", *QUANT_LADDER]]
    assert all(bigger > smaller for bigger, smaller in zip(sizes, sizes[1:], strict=False)), sizes


def test_rebuild_is_identical_and_skips_existing_files(demo_ladder: dict[str, Path], tmp_path: Path) -> None:
    again = {m.quant: m.path for m in build_demo_models(tmp_path, spec="tiny", seed=0)}
    for quant, path in demo_ladder.items():
        assert sha256(again[quant]) == sha256(path), quant

    stamps = {q: p.stat().st_mtime_ns for q, p in again.items()}
    labels: list[str] = []
    models = build_demo_models(tmp_path, progress=lambda done, total, label: labels.append(label))
    assert {m.quant: m.path.stat().st_mtime_ns for m in models} == stamps
    assert labels == ["F32", *QUANT_LADDER, "done"]
    assert all(m.size_bytes == m.path.stat().st_size for m in models)


def test_other_seed_or_damaged_file_is_rebuilt(tmp_path: Path) -> None:
    (first,) = [m for m in build_demo_models(tmp_path, quants=("Q2_K",), seed=0) if m.quant == "Q2_K"]
    original = sha256(first.path)
    build_demo_models(tmp_path, quants=("Q2_K",), seed=1)
    assert sha256(first.path) != original

    build_demo_models(tmp_path, quants=("Q2_K",), seed=0)
    assert sha256(first.path) == original
    with first.path.open("r+b") as f:
        f.truncate(first.path.stat().st_size // 2)
    build_demo_models(tmp_path, quants=("Q2_K",), seed=0)
    assert sha256(first.path) == original


def test_unknown_quant_lists_valid_ones(demo_ladder: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="Q4_K_M") as info:
        quantize(demo_ladder["F32"], tmp_path / "out.gguf", "Q4_X")
    assert "Q4_X" in str(info.value)
    with pytest.raises(WorkbenchError, match="Q2_K"):
        build_demo_models(tmp_path, quants=("Q8_0", "nope"))
    assert not list(tmp_path.iterdir())


def test_quantize_missing_source_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="not found"):
        quantize(tmp_path / "missing.gguf", tmp_path / "out.gguf", "Q8_0")
    assert not list(tmp_path.iterdir())


class Cancel:
    cancelled = False


def test_cancel_before_start_writes_nothing(tmp_path: Path) -> None:
    cancel = Cancel()
    cancel.cancelled = True
    with pytest.raises(WorkbenchError, match="cancelled"):
        build_demo_models(tmp_path / "out", cancel=cancel)
    assert not list(tmp_path.rglob("*.part"))
    assert not list(tmp_path.rglob("*.gguf"))


def test_cancel_between_files_keeps_finished_ones(tmp_path: Path) -> None:
    cancel = Cancel()

    def progress(done: int, total: int, label: str) -> None:
        if label == "Q6_K":  # the Q6_K file is still built, then the check fires
            cancel.cancelled = True

    with pytest.raises(WorkbenchError, match="cancelled"):
        build_demo_models(tmp_path, progress=progress, cancel=cancel)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["workbench-tiny-F32.gguf", "workbench-tiny-Q6_K.gguf", "workbench-tiny-Q8_0.gguf"]


# --- the models in llama.cpp ------------------------------------------------

@pytest.fixture(scope="module")
def llama_cpp():
    return pytest.importorskip("llama_cpp")


@pytest.mark.parametrize("quant", ["F32", *QUANT_LADDER])
def test_model_loads_and_generates_greedily(llama_cpp, demo_ladder: dict[str, Path], quant: str) -> None:
    llm = llama_cpp.Llama(str(demo_ladder[quant]), n_ctx=256, verbose=False)
    out = llm.create_completion("The cat sat on the", max_tokens=16, temperature=0.0)
    assert out["usage"]["completion_tokens"] == 16
    text = out["choices"][0]["text"]
    ids = llm.tokenize(text.encode(), add_bos=False)
    assert len(set(ids)) >= 3, text  # not one token repeated
    assert set(text) <= set(map(chr, range(32, 127))) | {"\n"}, repr(text)  # only readable tokens


def test_sampling_seed_changes_the_text(llama_cpp, demo_ladder: dict[str, Path]) -> None:
    llm = llama_cpp.Llama(str(demo_ladder["Q4_K_M"]), n_ctx=256, verbose=False)

    def sample(seed: int) -> str:
        out = llm.create_completion("Once upon a time", max_tokens=16, temperature=1.0, seed=seed)
        return out["choices"][0]["text"]

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)


def test_tokenizer_uses_merges_and_special_tokens(llama_cpp, demo_ladder: dict[str, Path]) -> None:
    llm = llama_cpp.Llama(str(demo_ladder["Q8_0"]), n_ctx=256, verbose=False)
    vocab = build_vocab()
    text = b"the cat and you"
    ids = llm.tokenize(text, add_bos=False)
    assert len(ids) < len(text)  # merges applied
    assert llm.detokenize(ids) == text
    assert llm.tokenize(b" the", add_bos=False) == [vocab.tokens.index("Ġthe")]
    assert llm.tokenize(b"<|im_start|>", add_bos=False, special=True) == [vocab.im_start_id]
    assert llm.token_bos() == vocab.bos_id
    assert llm.token_eos() == vocab.eos_id


def test_chat_template_renders_chatml(llama_cpp, demo_ladder: dict[str, Path]) -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = llama_cpp.Llama(str(demo_ladder["Q4_K_M"]), n_ctx=256, verbose=False)
    template = llm.metadata["tokenizer.chat_template"]
    formatter = Jinja2ChatFormatter(template=template, eos_token=IM_END, bos_token=BOS_TOKEN)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    prompt = formatter(messages=messages).prompt
    assert prompt == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nhi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    reply = llm.create_chat_completion(messages=messages, max_tokens=8, temperature=0.0)
    assert reply["choices"][0]["message"]["role"] == "assistant"
    assert reply["usage"]["completion_tokens"] > 0
