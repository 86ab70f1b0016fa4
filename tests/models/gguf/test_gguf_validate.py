"""validate_gguf against a tiny valid GGUF file and byte-level corruptions of it."""

from __future__ import annotations

import os
import random
import struct
import time
from pathlib import Path

import gguf
import numpy as np
import pytest

from models.errors import ModelFileError
from models.gguf.validate import MAX_ARRAY_DEPTH, MAX_KEPT_ARRAY, MAX_KEPT_STRING, GGUFArray, validate_gguf

# numpy shapes; GGUF stores the dimensions reversed. Names q/k have equal
# length so one can be patched into the other.
TENSORS = {
    "token_embd.weight": (16, 8),
    "blk.0.attn_q.weight": (8, 8),
    "blk.0.attn_k.weight": (8, 8),
}
LAST_TENSOR = "blk.0.attn_k.weight"


def build_gguf(path: Path, arch: str = "llama", alignment: int | None = None,
               extra=None, tensors=TENSORS) -> Path:
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("Tiny Test")
    w.add_block_count(1)
    w.add_context_length(256)
    w.add_embedding_length(8)
    w.add_head_count(2)
    w.add_tokenizer_model("llama")
    w.add_token_list([f"tok{i}" for i in range(16)])
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    if extra is not None:
        extra(w)
    for name, shape in tensors.items():
        w.add_tensor(name, np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return build_gguf(tmp_path / "tiny.gguf")


def rewrite(path: Path, data: bytes) -> None:
    # Unlink first: truncating a file in place makes ext4 flush it on close,
    # which turns the loops below from milliseconds into seconds.
    path.unlink()
    path.write_bytes(data)


def patch(path: Path, offset: int, fmt: str, value) -> None:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    path.write_bytes(bytes(data))


def replace_bytes(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) == 1 and len(old) == len(new)
    path.write_bytes(data.replace(old, new))


def after(path: Path, text: str) -> int:
    """Offset just past the first occurrence of `text` (a key or tensor name)."""
    data = path.read_bytes()
    return data.index(text.encode()) + len(text)


def tensor_info_offsets(path: Path, name: str) -> dict[str, int]:
    """Field offsets inside the tensor info of `name` (assumes 2 dims)."""
    n_dims_at = after(path, name)
    return {"n_dims": n_dims_at, "dim0": n_dims_at + 4, "dim1": n_dims_at + 12,
            "type": n_dims_at + 20, "offset": n_dims_at + 24}


def read_u64(path: Path, offset: int) -> int:
    return struct.unpack_from("<Q", path.read_bytes(), offset)[0]


def problem(path: Path) -> str:
    with pytest.raises(ModelFileError) as exc:
        validate_gguf(path)
    assert exc.value.path == str(path)
    return exc.value.problem


# --- valid files -----------------------------------------------------------

def test_valid_file_passes_and_reports_layout(model: Path) -> None:
    layout = validate_gguf(model)
    assert layout.version == 3
    assert layout.tensor_count == len(TENSORS)
    assert layout.kv_count == 10  # 9 added above + general.architecture
    assert layout.architecture == "llama"
    assert layout.alignment == 32
    assert layout.data_offset % 32 == 0
    assert layout.file_size == model.stat().st_size
    expected_data = sum(int(np.prod(s)) * 4 for s in TENSORS.values())
    assert layout.data_offset + expected_data == layout.file_size


def test_header_matches_gguf_reader(model: Path) -> None:
    header = validate_gguf(model)
    reader = gguf.GGUFReader(model)
    assert header.data_offset == reader.data_offset
    assert [(t.name, t.ggml_type, t.shape, t.n_elements, t.n_bytes, header.data_offset + t.offset)
            for t in header.tensors] == [
        (t.name, t.tensor_type, tuple(int(d) for d in t.shape), t.n_elements, t.n_bytes,
         t.data_offset) for t in reader.tensors]
    assert list(header.metadata) == [k for k in reader.fields if not k.startswith("GGUF.")]


def test_header_keeps_metadata_values(model: Path) -> None:
    meta = validate_gguf(model).metadata
    assert meta["general.architecture"] == "llama"
    assert meta["general.name"] == "Tiny Test"
    assert meta["llama.context_length"] == 256
    assert meta["tokenizer.ggml.tokens"] == GGUFArray(gguf.GGUFValueType.STRING, 16, None)


def test_long_values_are_checked_but_not_kept(tmp_path: Path) -> None:
    def add_long(w: gguf.GGUFWriter) -> None:
        w.add_array("test.short", [1.5, 2.5])
        w.add_array("test.long", [0.5] * (MAX_KEPT_ARRAY + 1))
        w.add_string("test.huge", "x" * (MAX_KEPT_STRING + 1))

    meta = validate_gguf(build_gguf(tmp_path / "l.gguf", extra=add_long)).metadata
    assert meta["test.short"] == GGUFArray(gguf.GGUFValueType.FLOAT32, 2, (1.5, 2.5))
    assert meta["test.long"] == GGUFArray(gguf.GGUFValueType.FLOAT32, MAX_KEPT_ARRAY + 1, None)
    assert "test.huge" in meta and meta["test.huge"] is None


def test_version_2_is_accepted(model: Path) -> None:
    patch(model, 4, "<I", 2)
    assert validate_gguf(model).version == 2


def test_custom_alignment_is_honoured(tmp_path: Path) -> None:
    layout = validate_gguf(build_gguf(tmp_path / "a.gguf", alignment=64))
    assert layout.alignment == 64
    assert layout.data_offset % 64 == 0


def test_nested_arrays_within_depth_pass(tmp_path: Path) -> None:
    path = build_gguf(tmp_path / "n.gguf", extra=lambda w: w.add_array("test.nested", [[1, 2], [3]]))
    assert validate_gguf(path).kv_count == 11


def test_clip_architecture_is_known(tmp_path: Path) -> None:
    assert validate_gguf(build_gguf(tmp_path / "mmproj.gguf", arch="clip")).architecture == "clip"


# --- file system problems --------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    assert problem(tmp_path / "nope.gguf") == "file not found"


def test_directory(tmp_path: Path) -> None:
    assert "directory" in problem(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    assert problem(path) == "file is empty"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_is_rejected_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.gguf"
    os.mkfifo(path)
    assert problem(path) == "not a regular file"


def test_permission_error_on_open(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root ignores file modes, so also simulate the failure directly.
    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("models.gguf.validate.open", deny, raising=False)
    assert problem(model) == "permission denied"


# --- header ----------------------------------------------------------------

@pytest.mark.parametrize("magic, expected", [
    (b"GGML", "bad magic"),
    (b"lmgg", "legacy GGML"),
    (b"PK\x03\x04", "zip archive"),
])
def test_bad_magic(model: Path, magic: bytes, expected: str) -> None:
    patch(model, 0, "4s", magic)
    message = problem(model)
    assert message.startswith("not a GGUF file")
    assert expected in message


def test_short_file_with_gguf_prefix_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "short.gguf"
    path.write_bytes(b"GG")
    assert "truncated" in problem(path)


@pytest.mark.parametrize("version, expected", [
    (1, "version 1 is no longer supported"),
    (4, "unsupported GGUF version 4"),
    (0, "unsupported GGUF version 0"),
    (0x03000000, "big-endian"),
])
def test_bad_version(model: Path, version: int, expected: str) -> None:
    patch(model, 4, "<I", version)
    assert expected in problem(model)


@pytest.mark.parametrize("offset, what", [(8, "tensor"), (16, "metadata")])
@pytest.mark.parametrize("count", [1 << 40, 10_000])
def test_absurd_counts(model: Path, offset: int, what: str, count: int) -> None:
    patch(model, offset, "<Q", count)
    assert f"absurd {what} count {count}" in problem(model)


def test_truncated_in_kv_section(model: Path) -> None:
    data = model.read_bytes()
    kv_start, kv_end = 24, data.index(b"token_embd.weight") - 8
    for cut in range(kv_start + 1, kv_end, 7):
        rewrite(model, data[:cut])
        assert "truncated" in problem(model), cut


def test_every_truncation_is_rejected(model: Path) -> None:
    # The last tensor ends exactly at EOF (no padding), so any cut must fail.
    data = model.read_bytes()
    for cut in range(len(data)):
        rewrite(model, data[:cut])
        with pytest.raises(ModelFileError):
            validate_gguf(model)


def test_tensor_data_past_end_of_file(model: Path) -> None:
    size = model.stat().st_size
    with open(model, "r+b") as f:
        f.truncate(size - 4)
    assert problem(model) == (f"tensor '{LAST_TENSOR}' data runs past end of file "
                              f"(needs {size} bytes, file has {size - 4})")


# --- metadata --------------------------------------------------------------

def test_absurd_key_length(model: Path) -> None:
    patch(model, 24, "<Q", 1 << 62)  # length of the first key
    assert "absurd metadata key length" in problem(model)


def test_absurd_string_value_length(model: Path) -> None:
    # general.architecture is written first: key, type, then the value length.
    patch(model, after(model, "general.architecture") + 4, "<Q", 1 << 40)
    assert "absurd string value of 'general.architecture' length" in problem(model)


def test_string_value_longer_than_file(model: Path) -> None:
    patch(model, after(model, "general.name") + 4, "<Q", 100_000)
    assert "truncated" in problem(model)


def test_absurd_array_length(model: Path) -> None:
    # tokenizer.ggml.tokens: type ARRAY, item type STRING, then the count.
    patch(model, after(model, "tokenizer.ggml.tokens") + 8, "<Q", 1 << 40)
    assert "absurd array length 1099511627776 for 'tokenizer.ggml.tokens'" in problem(model)


def test_invalid_value_type(model: Path) -> None:
    patch(model, after(model, "llama.block_count"), "<I", 13)
    assert problem(model) == "metadata 'llama.block_count' has invalid value type 13"


def test_invalid_array_item_type(model: Path) -> None:
    patch(model, after(model, "tokenizer.ggml.tokens") + 4, "<I", 99)
    assert "invalid value type 99" in problem(model)


def test_arrays_nested_too_deep(tmp_path: Path) -> None:
    value: list = [1]
    for _ in range(MAX_ARRAY_DEPTH):
        value = [value]
    path = build_gguf(tmp_path / "deep.gguf", extra=lambda w: w.add_array("test.deep", value))
    assert "nests arrays" in problem(path)


def test_duplicate_key(model: Path) -> None:
    replace_bytes(model, b"llama.context_length", b"general.architecture")
    assert problem(model) == "duplicate metadata key 'general.architecture'"


def test_unknown_architecture(tmp_path: Path) -> None:
    message = problem(build_gguf(tmp_path / "foo.gguf", arch="foo"))
    assert message.startswith("unknown architecture 'foo' (llama.cpp supports: ")
    assert "llama" in message


def test_missing_architecture(model: Path) -> None:
    replace_bytes(model, b"general.architecture", b"general.architectur_")
    assert "missing general.architecture" in problem(model)


def test_architecture_must_be_string(tmp_path: Path) -> None:
    path = build_gguf(tmp_path / "a.gguf", extra=lambda w: w.add_uint32("general.architecture", 7))
    assert "general.architecture must be a string" in problem(path)


def test_alignment_not_power_of_two(tmp_path: Path) -> None:
    path = build_gguf(tmp_path / "a.gguf", alignment=64)
    patch(path, after(path, "general.alignment") + 4, "<I", 48)
    assert "general.alignment 48 is not a power of two" in problem(path)


def test_alignment_wrong_type(tmp_path: Path) -> None:
    path = build_gguf(tmp_path / "a.gguf", alignment=64)
    patch(path, after(path, "general.alignment"), "<I", int(gguf.GGUFValueType.INT32))
    assert "general.alignment must be a UINT32" in problem(path)


# --- tensor infos ----------------------------------------------------------

def test_duplicate_tensor_name(model: Path) -> None:
    replace_bytes(model, LAST_TENSOR.encode(), b"blk.0.attn_q.weight")
    assert problem(model) == "duplicate tensor name 'blk.0.attn_q.weight'"


def test_tensor_name_too_long(tmp_path: Path) -> None:
    path = build_gguf(tmp_path / "n.gguf", tensors={"x" * 64: (8,)})
    assert "name length 64" in problem(path)


@pytest.mark.parametrize("n_dims", [0, 5])
def test_bad_dimension_count(model: Path, n_dims: int) -> None:
    patch(model, tensor_info_offsets(model, LAST_TENSOR)["n_dims"], "<I", n_dims)
    assert f"has {n_dims} dimensions" in problem(model)


def test_zero_dimension(model: Path) -> None:
    patch(model, tensor_info_offsets(model, LAST_TENSOR)["dim0"], "<Q", 0)
    assert "invalid shape [0, 8]" in problem(model)


def test_element_count_overflow(model: Path) -> None:
    fields = tensor_info_offsets(model, LAST_TENSOR)
    patch(model, fields["dim0"], "<Q", 1 << 40)
    patch(model, fields["dim1"], "<Q", 1 << 40)
    assert "overflows" in problem(model)


@pytest.mark.parametrize("raw_type", [4, 99])  # 4 was Q4_2, long removed
def test_unknown_ggml_type(model: Path, raw_type: int) -> None:
    patch(model, tensor_info_offsets(model, LAST_TENSOR)["type"], "<I", raw_type)
    assert f"unknown ggml type {raw_type}" in problem(model)


def test_row_not_multiple_of_block_size(model: Path) -> None:
    # Q4_0 packs 32 values per block; these rows hold 8.
    patch(model, tensor_info_offsets(model, LAST_TENSOR)["type"], "<I",
          int(gguf.GGMLQuantizationType.Q4_0))
    assert "not a multiple of its type's block size 32" in problem(model)


def test_misaligned_tensor_offset(model: Path) -> None:
    at = tensor_info_offsets(model, LAST_TENSOR)["offset"]
    patch(model, at, "<Q", read_u64(model, at) + 4)
    assert "is not a multiple of the alignment 32" in problem(model)


def test_overlapping_tensors(model: Path) -> None:
    q_offset = read_u64(model, tensor_info_offsets(model, "blk.0.attn_q.weight")["offset"])
    patch(model, tensor_info_offsets(model, LAST_TENSOR)["offset"], "<Q", q_offset)
    assert "overlap" in problem(model)


def test_tensor_offset_past_end(model: Path) -> None:
    patch(model, tensor_info_offsets(model, LAST_TENSOR)["offset"], "<Q", 1 << 40)
    assert "data runs past end of file" in problem(model)


# --- fuzzing ---------------------------------------------------------------

def test_random_corruption_never_escapes_as_another_error(model: Path) -> None:
    rng = random.Random(1234)
    data = model.read_bytes()
    header_end = validate_gguf(model).data_offset
    outcomes = {"passed": 0, "rejected": 0}
    started = time.monotonic()
    for i in range(3000):
        mutated = bytearray(data)
        kind = i % 3
        if kind == 0:  # one byte, mostly inside the header
            mutated[rng.randrange(header_end + 64)] = rng.randrange(256)
        elif kind == 1:  # an 8-byte window, to hit counts and lengths
            at = rng.randrange(header_end - 8)
            mutated[at:at + 8] = rng.randbytes(8) if rng.random() < 0.5 else b"\xff" * 8
        else:
            mutated = mutated[:rng.randrange(len(data))]
            if mutated and rng.random() < 0.5:
                mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
        rewrite(model, bytes(mutated))
        try:
            validate_gguf(model)
            outcomes["passed"] += 1
        except ModelFileError:
            outcomes["rejected"] += 1
    assert time.monotonic() - started < 60
    assert outcomes["passed"] > 0 and outcomes["rejected"] > 0
