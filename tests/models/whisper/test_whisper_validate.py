"""The whisper ggml validator: the demo model passes; every kind of damage is named."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from models.demo.whisper import DemoWhisperSpec, demo_tokens, write_whisper_model
from models.errors import ModelFileError
from models.whisper.format import HPARAM_NAMES, expected_tensors
from models.whisper.validate import is_whisper_ggml, validate_whisper_model
from runtimes.registry import get_runtime, runtime_for
from runtimes.whisper_cpp.options import WhisperLoadOptions

HEADER = 4 + 4 * len(HPARAM_NAMES)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return write_whisper_model(tmp_path_factory.mktemp("whisper") / "ggml-demo.bin")


def damaged(tmp_path: Path, model: Path, data: bytes, name: str = "bad.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def offsets(model: Path) -> dict[str, int]:
    """Where the mel filters, vocabulary and tensor data start in the demo file."""
    hp = DemoWhisperSpec().hparams()
    vocab = HEADER + 8 + 4 * hp.n_mels * 201
    tensors = vocab + 4 + sum(4 + len(t) for t in demo_tokens())
    return {"mel": HEADER, "vocab": vocab, "tensors": tensors}


def test_demo_model_is_valid_and_described(model):
    info = validate_whisper_model(model)
    hp = DemoWhisperSpec().hparams()
    assert info.hparams == hp
    # encoder: 7 + 15 per block; decoder: 4 + 24 per block (self- and cross-attention)
    assert info.n_tensors == len(expected_tensors(hp)) == 7 + 15 * hp.n_audio_layer + 4 + 24 * hp.n_text_layer
    assert info.n_vocab_tokens == 50257
    described = get_runtime("whisper.cpp").describe_model(model)
    assert described["multilingual"] is True
    assert described["weight_type"] == "F16"
    assert described["n_params"] == info.n_params > 0


def test_registry_claims_whisper_files_by_magic_not_suffix(model, tmp_path):
    assert runtime_for(model).name == "whisper.cpp"
    other = damaged(tmp_path, model, b"\x00" * 64, "weights.bin")
    assert not is_whisper_ggml(other)
    assert not get_runtime("whisper.cpp").claims(other)
    renamed = damaged(tmp_path, model, model.read_bytes(), "model.gguf")
    assert not get_runtime("whisper.cpp").claims(renamed)


@pytest.mark.parametrize(("cut", "message"), [
    (lambda o, size: 2, "truncated: the magic"),
    (lambda o, size: HEADER - 3, "truncated: the hyperparameters"),
    (lambda o, size: o["mel"] + 100, "truncated: the mel filters"),
    (lambda o, size: o["vocab"] + 5000, "truncated: token"),
    (lambda o, size: o["tensors"] + 6, "truncated: a tensor header"),
    (lambda o, size: size // 2, "truncated: tensor '"),
    (lambda o, size: size - 256, "truncated: tensor 'decoder.blocks.0.cross_attn.out.bias'"),
])
def test_truncated_files_are_refused_with_where(model, tmp_path, cut, message):
    data = model.read_bytes()
    bad = damaged(tmp_path, model, data[: cut(offsets(model), len(data))])
    with pytest.raises(ModelFileError, match=message):
        validate_whisper_model(bad)


def test_a_file_missing_whole_tensors_is_refused(model, tmp_path):
    """Cut exactly at a tensor boundary: every header parses, the last tensors are absent."""
    hp = DemoWhisperSpec().hparams()
    position = offsets(model)["tensors"]
    data = model.read_bytes()
    for name, (shape, ggml_type) in list(expected_tensors(hp).items())[:-3]:
        bytes_per = 2 if ggml_type.name == "F16" else 4
        count = 1
        for d in shape:
            count *= d
        position += 12 + 4 * len(shape) + len(name) + bytes_per * count
    bad = damaged(tmp_path, model, data[:position])
    with pytest.raises(ModelFileError, match="3 of 50 tensors are missing"):
        validate_whisper_model(bad)


def patched(model: Path, tmp_path: Path, index: int, value: int) -> Path:
    data = bytearray(model.read_bytes())
    struct.pack_into("<i", data, 4 + 4 * index, value)
    return damaged(tmp_path, model, bytes(data))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("ftype", 5, "unsupported ftype 5"),
    ("n_audio_head", 3, "n_audio_head 3 does not divide n_audio_state 64"),
    ("n_vocab", 1000, "n_vocab = 1000 is outside"),
    ("n_text_state", 32, "n_audio_state 64 != n_text_state 32"),
    ("n_mels", 128, "mel filters are 80x201, expected 128x201"),
    ("n_text_layer", 2, "tensor .* has shape|missing"),
])
def test_inconsistent_headers_are_refused(model, tmp_path, field, value, message):
    bad = patched(model, tmp_path, HPARAM_NAMES.index(field), value)
    with pytest.raises(ModelFileError, match=message):
        validate_whisper_model(bad)


def test_bad_magic_empty_and_missing_files(model, tmp_path):
    data = bytearray(model.read_bytes())
    data[0:4] = b"GGUF"
    with pytest.raises(ModelFileError, match="bad magic"):
        validate_whisper_model(damaged(tmp_path, model, bytes(data)))
    with pytest.raises(ModelFileError, match="empty"):
        validate_whisper_model(damaged(tmp_path, model, b"", "empty.bin"))
    with pytest.raises(ModelFileError, match="no such model file"):
        validate_whisper_model(tmp_path / "absent.bin")


def test_load_refuses_a_truncated_model_before_starting_a_worker(model, tmp_path, monkeypatch):
    from runtimes.worker import host

    def no_worker(*args, **kwargs):
        raise AssertionError("a worker was started for a bad file")

    monkeypatch.setattr(host.WorkerSession, "start", no_worker)
    bad = damaged(tmp_path, model, model.read_bytes()[:-1000])
    with pytest.raises(ModelFileError, match="truncated"):
        get_runtime("whisper.cpp").load(bad, WhisperLoadOptions(n_threads=1))


@pytest.mark.parametrize("weight_type", ["Q8_0", "Q5_1", "Q5_0", "BF16"])
def test_quantized_demo_models_validate_with_their_tensor_types(tmp_path, weight_type):
    """Real whisper files quantize 2-D weights only; convolutions stay F16, embeddings of positions F32."""
    path = write_whisper_model(tmp_path / f"ggml-demo-{weight_type}.bin", DemoWhisperSpec(weight_type=weight_type))
    described = validate_whisper_model(path).as_dict()
    assert described["weight_type"] == weight_type
    assert described["quantization_version"] == (0 if weight_type == "BF16" else 2)


def test_all_f32_models_are_refused_before_whisper_cpp_aborts_on_them(tmp_path):
    from runtimes.errors import NotSupported

    path = write_whisper_model(tmp_path / "ggml-demo-f32.bin", DemoWhisperSpec(weight_type="F32"))
    assert validate_whisper_model(path).as_dict()["weight_type"] == "F32"  # a well-formed file...
    with pytest.raises(NotSupported, match="cannot run all-F32 models"):
        get_runtime("whisper.cpp").validate(path, WhisperLoadOptions())  # ...that whisper.cpp cannot run


def test_header_only_files_are_refused(model, tmp_path):
    bad = damaged(tmp_path, model, model.read_bytes()[: offsets(model)["tensors"]])
    with pytest.raises(ModelFileError, match="holds no tensors"):
        validate_whisper_model(bad)
