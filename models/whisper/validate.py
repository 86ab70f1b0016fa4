"""Structural check of a whisper.cpp ggml model, run before whisper.cpp opens it.

whisper.cpp trusts its file: an unknown ftype hits a GGML_ASSERT (abort), a
head count that does not divide the width aborts in ggml, a truncated tensor
is read as garbage. This walks the whole layout (see models/whisper_format)
with bounded reads, seeking over tensor data, and reports the first problem
as a ModelFileError. It takes milliseconds even for large-v3.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from models.errors import ModelFileError
from models.whisper.format import (
    FTYPE_WEIGHT_TYPE,
    GGML_MAGIC,
    HPARAM_NAMES,
    N_FFT_BINS,
    N_VOCAB_ENGLISH,
    QNT_VERSION_FACTOR,
    WhisperHParams,
    expected_tensors,
    tensor_nbytes,
)

MAX_VOCAB = 1 << 20
MAX_TOKEN_BYTES = 1 << 16
MAX_TENSOR_NAME = 256
MAX_CTX = 1 << 16
MAX_STATE = 1 << 15
MAX_LAYERS = 1024
MAX_MELS = 1024


@dataclass(frozen=True)
class WhisperModelInfo:
    path: str
    file_size: int
    hparams: WhisperHParams
    n_vocab_tokens: int  # tokens stored in the file (whisper.cpp names the rest itself)
    n_tensors: int
    n_params: int

    def as_dict(self) -> dict[str, Any]:
        hp = self.hparams
        return {
            "format": "whisper.cpp ggml",
            "model_size": hp.size_name,
            "multilingual": hp.multilingual,
            "weight_type": hp.weight_type.name if hp.weight_type is not None else str(hp.file_type),
            "quantization_version": hp.ftype // QNT_VERSION_FACTOR,
            "n_params": self.n_params,
            "n_tensors": self.n_tensors,
            "file_size": self.file_size,
            "n_vocab_tokens": self.n_vocab_tokens,
            **{k: v for k, v in hp.as_dict().items() if k != "ftype"},
        }


class _Reader:
    def __init__(self, f: BinaryIO, path: Path, size: int) -> None:
        self.f, self.path, self.size = f, path, size

    def fail(self, problem: str) -> NoReturn:
        raise ModelFileError(self.path, f"not a valid whisper.cpp model: {problem}")

    def remaining(self) -> int:
        return self.size - self.f.tell()

    def read(self, n: int, what: str) -> bytes:
        if n > self.remaining():
            self.fail(f"the file is truncated: {what} needs {n} bytes at offset {self.f.tell()}, "
                      f"the file ends at {self.size}")
        return self.f.read(n)

    def ints(self, count: int, what: str) -> tuple[int, ...]:
        return struct.unpack(f"<{count}i", self.read(4 * count, what))

    def skip(self, n: int, what: str) -> None:
        if n > self.remaining():
            self.fail(f"the file is truncated: {what} needs {n} bytes at offset {self.f.tell()}, "
                      f"the file ends at {self.size}")
        self.f.seek(n, 1)


def is_whisper_ggml(path: Path) -> bool:
    """Cheap test for ``claims``: a regular file that starts with the ggml magic."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<I", head)[0] == GGML_MAGIC


def validate_whisper_model(path: str | Path) -> WhisperModelInfo:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such model file")
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(path, "the model file is empty (0 bytes)")
    with open(path, "rb") as f:
        r = _Reader(f, path, size)
        (magic,) = struct.unpack("<I", r.read(4, "the magic"))
        if magic != GGML_MAGIC:
            r.fail(f"bad magic 0x{magic:08x} (a whisper ggml file starts with 0x{GGML_MAGIC:08x}, 'lmgg')")
        hp = WhisperHParams(*r.ints(len(HPARAM_NAMES), "the hyperparameters"))
        _check_hparams(r, hp)
        n_mel, n_fft = r.ints(2, "the mel filter header")
        if n_mel != hp.n_mels or n_fft != N_FFT_BINS:
            r.fail(f"mel filters are {n_mel}x{n_fft}, expected {hp.n_mels}x{N_FFT_BINS}")
        r.skip(4 * n_mel * n_fft, "the mel filters")
        n_tokens = _skip_vocab(r, hp)
        n_params = _walk_tensors(r, hp)
    return WhisperModelInfo(str(path), size, hp, n_tokens, len(expected_tensors(hp)), n_params)


def _check_hparams(r: _Reader, hp: WhisperHParams) -> None:
    if hp.weight_type is None:
        r.fail(f"unsupported ftype {hp.ftype} (file type {hp.file_type}; known: "
               f"{', '.join(map(str, sorted(FTYPE_WEIGHT_TYPE)))})")
    if hp.ftype < 0:
        r.fail(f"negative ftype {hp.ftype}")
    limits = {
        "n_vocab": (N_VOCAB_ENGLISH, MAX_VOCAB), "n_audio_ctx": (1, MAX_CTX), "n_text_ctx": (8, MAX_CTX),
        "n_audio_state": (1, MAX_STATE), "n_text_state": (1, MAX_STATE),
        "n_audio_head": (1, MAX_STATE), "n_text_head": (1, MAX_STATE),
        "n_audio_layer": (1, MAX_LAYERS), "n_text_layer": (1, MAX_LAYERS), "n_mels": (1, MAX_MELS),
    }
    for name, (low, high) in limits.items():
        value = getattr(hp, name)
        if not low <= value <= high:
            r.fail(f"{name} = {value} is outside {low}..{high}")
    if hp.n_audio_state != hp.n_text_state:
        r.fail(f"n_audio_state {hp.n_audio_state} != n_text_state {hp.n_text_state}")
    for side in ("audio", "text"):
        state, head = getattr(hp, f"n_{side}_state"), getattr(hp, f"n_{side}_head")
        if state % head:
            r.fail(f"n_{side}_head {head} does not divide n_{side}_state {state}")


def _skip_vocab(r: _Reader, hp: WhisperHParams) -> int:
    (count,) = r.ints(1, "the vocabulary size")
    if not 0 <= count <= hp.n_vocab:
        r.fail(f"the file stores {count} tokens for a vocabulary of {hp.n_vocab}")
    for i in range(count):
        (length,) = struct.unpack("<I", r.read(4, f"token {i}'s length"))
        if length > MAX_TOKEN_BYTES:
            r.fail(f"token {i} is {length} bytes long")
        r.skip(length, f"token {i}")
    return count


def _walk_tensors(r: _Reader, hp: WhisperHParams) -> int:
    expected = expected_tensors(hp)
    seen: set[str] = set()
    n_params = 0
    while r.remaining() > 0:
        n_dims, name_len, ttype = r.ints(3, "a tensor header")
        if not 0 <= n_dims <= 4:
            r.fail(f"a tensor header at offset {r.f.tell() - 12} has {n_dims} dimensions")
        if not 0 < name_len <= MAX_TENSOR_NAME:
            r.fail(f"a tensor name at offset {r.f.tell() - 12} is {name_len} bytes long")
        dims = r.ints(n_dims, "tensor dimensions")
        name = r.read(name_len, "a tensor name").decode("utf-8", errors="replace")
        if name not in expected:
            r.fail(f"unknown tensor {name!r}")
        if name in seen:
            r.fail(f"tensor {name!r} appears twice")
        shape, want_type = expected[name]
        if _pad(dims) != _pad(shape):
            r.fail(f"tensor {name!r} has shape {list(dims)}, expected {list(shape)}")
        if ttype != want_type:
            r.fail(f"tensor {name!r} has ggml type {ttype}, expected {want_type.value} ({want_type.name})")
        nbytes = tensor_nbytes(want_type, shape)
        if nbytes is None:
            r.fail(f"tensor {name!r}: rows of {shape[0]} do not fill whole {want_type.name} blocks")
        r.skip(nbytes, f"tensor {name!r}")
        seen.add(name)
        n_params += _count(shape)
    if not seen:
        r.fail("it holds no tensors, only a header and vocabulary (like whisper.cpp's for-tests-* files)")
    missing = [name for name in expected if name not in seen]
    if missing:
        r.fail(f"the file is truncated or incomplete: {len(missing)} of {len(expected)} tensors are missing "
               f"(first: {missing[0]!r})")
    return n_params


def _pad(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(shape) + (1,) * (4 - len(shape))


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for dim in shape:
        n *= dim
    return n
