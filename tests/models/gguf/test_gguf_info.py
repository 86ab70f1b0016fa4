"""read_gguf_info on tiny GGUF files written with gguf.GGUFWriter."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
import pytest

from models.errors import ModelFileError
from models.gguf.info import read_gguf_info

CHAT_TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
F32_TENSORS = {
    "token_embd.weight": (32, 8),
    "blk.0.attn_q.weight": (8, 8),
    "output_norm.weight": (8,),
}


def build_gguf(path: Path, tensors=None, extra=None, full: bool = True) -> Path:
    """Write a llama GGUF; `tensors` maps name -> numpy array."""
    if tensors is None:
        tensors = {n: np.ones(s, dtype=np.float32) for n, s in F32_TENSORS.items()}
    w = gguf.GGUFWriter(str(path), "llama")
    if full:
        w.add_name("Tiny Info")
        w.add_block_count(2)
        w.add_context_length(4096)
        w.add_embedding_length(8)
        w.add_head_count(4)
        w.add_head_count_kv(2)
        w.add_file_type(gguf.LlamaFileType.ALL_F32)
        w.add_tokenizer_model("gpt2")
        w.add_token_list([f"t{i}" for i in range(32)])
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.add_chat_template(CHAT_TEMPLATE)
    if extra is not None:
        extra(w)
    for name, array in tensors.items():
        w.add_tensor(name, array)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_reads_metadata_of_valid_file(tmp_path: Path) -> None:
    path = build_gguf(tmp_path / "m.gguf")
    info = read_gguf_info(path)
    n_params = sum(int(np.prod(s)) for s in F32_TENSORS.values())
    assert info.path == str(path)
    assert info.file_size == path.stat().st_size
    assert info.gguf_version == 3
    assert info.architecture == "llama"
    assert info.name == "Tiny Info"
    assert (info.n_layers, info.n_heads, info.n_kv_heads, info.n_embd) == (2, 4, 2, 8)
    assert info.context_length == 4096
    assert info.parameter_count == n_params
    assert info.tensor_count == 3
    assert info.tensor_data_bytes == 4 * n_params
    assert info.bits_per_weight == pytest.approx(32.0)
    assert info.tensor_type_histogram == {"F32": 3}
    assert info.tensor_type_bytes == {"F32": 4 * n_params}
    assert (info.file_type, info.file_type_name) == (0, "F32")
    assert info.chat_template == CHAT_TEMPLATE
    assert info.tokenizer_model == "gpt2"
    assert info.vocab_size == 32
    assert (info.bos_token_id, info.eos_token_id) == (1, 2)


def test_to_dict_is_json_serialisable(tmp_path: Path) -> None:
    info = read_gguf_info(build_gguf(tmp_path / "m.gguf"))
    decoded = json.loads(json.dumps(info.to_dict()))
    assert decoded["architecture"] == "llama"
    assert decoded["tensor_type_histogram"] == {"F32": 3}
    assert decoded["chat_template"] == CHAT_TEMPLATE


def test_mixed_types_histogram_and_bits_per_weight(tmp_path: Path) -> None:
    tensors = {
        "token_embd.weight": np.ones((32, 8), dtype=np.float16),
        "blk.0.attn_q.weight": np.ones((8, 8), dtype=np.float32),
        "output_norm.weight": np.ones((8,), dtype=np.float32),
    }
    info = read_gguf_info(build_gguf(tmp_path / "m.gguf", tensors=tensors))
    assert info.tensor_type_histogram == {"F16": 1, "F32": 2}
    assert info.tensor_type_bytes == {"F16": 512, "F32": 288}
    assert info.parameter_count == 256 + 64 + 8
    assert info.bits_per_weight == pytest.approx(8 * 800 / 328, abs=1e-3)


def test_optional_fields_absent(tmp_path: Path) -> None:
    info = read_gguf_info(build_gguf(tmp_path / "m.gguf", full=False))
    assert info.name is None
    assert info.n_layers is None and info.n_heads is None and info.n_kv_heads is None
    assert info.context_length is None
    assert info.file_type is None and info.file_type_name is None
    assert info.chat_template is None and info.tokenizer_model is None
    assert info.vocab_size is None
    assert info.bos_token_id is None and info.eos_token_id is None


def test_kv_heads_default_to_heads(tmp_path: Path) -> None:
    info = read_gguf_info(build_gguf(tmp_path / "m.gguf", full=False,
                                     extra=lambda w: w.add_head_count(6)))
    assert (info.n_heads, info.n_kv_heads) == (6, 6)


def test_per_layer_head_counts_report_the_largest(tmp_path: Path) -> None:
    info = read_gguf_info(build_gguf(tmp_path / "m.gguf", full=False,
                                     extra=lambda w: w.add_head_count([2, 8, 4])))
    assert info.n_heads == 8


def test_quantised_file_type_name(tmp_path: Path) -> None:
    info = read_gguf_info(build_gguf(tmp_path / "m.gguf", full=False,
                                     extra=lambda w: w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)))
    assert (info.file_type, info.file_type_name) == (15, "Q4_K_M")


def test_unknown_file_type_has_no_name(tmp_path: Path) -> None:
    info = read_gguf_info(build_gguf(tmp_path / "m.gguf", full=False,
                                     extra=lambda w: w.add_file_type(999)))
    assert (info.file_type, info.file_type_name) == (999, None)


def test_invalid_utf8_chat_template_is_decoded_leniently(tmp_path: Path) -> None:
    def add_bad_template(w: gguf.GGUFWriter) -> None:
        w.add_key_value("tokenizer.chat_template", b"\xff{{ x }}", gguf.GGUFValueType.STRING)

    info = read_gguf_info(build_gguf(tmp_path / "m.gguf", full=False, extra=add_bad_template))
    assert info.chat_template == "\ufffd{{ x }}"


def test_invalid_file_raises_model_file_error(tmp_path: Path) -> None:
    path = build_gguf(tmp_path / "m.gguf")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        read_gguf_info(path)


def test_missing_file_raises_model_file_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="file not found"):
        read_gguf_info(tmp_path / "absent.gguf")
