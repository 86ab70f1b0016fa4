"""Defensive structural check of a GGUF file, run before llama.cpp opens it.

llama.cpp trusts several header fields (counts, lengths, offsets) and can
abort or allocate absurd amounts of memory on a corrupt file. This check
streams the header with bounded reads, never allocates in proportion to a
count taken from the file, and reports every problem as a ModelFileError.

It returns what it parsed (metadata values and tensor infos) so callers need
not parse the header a second time: gguf.GGUFReader takes seconds on a large
vocabulary because it builds one numpy array per array element.
"""

from __future__ import annotations

import itertools
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import gguf

from models.errors import ModelFileError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)  # v1 used 32-bit counts; v2 and v3 share one layout
DEFAULT_ALIGNMENT = 32
ARCHITECTURE_KEY = "general.architecture"
ALIGNMENT_KEY = "general.alignment"

MAX_TENSORS = 1 << 20  # real models have thousands at most
MAX_KVS = 1 << 20
MAX_STRING_LEN = 256 << 20
MAX_KEY_LEN = 64 << 10
MAX_TENSOR_NAME_LEN = 63  # llama.cpp's GGML_MAX_NAME is 64 including the NUL
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_ARRAY_DEPTH = 3
# Strings and sub-arrays are walked one by one; cap the total so a crafted
# file cannot keep the loop busy for minutes.
MAX_WALKED_ELEMENTS = 1 << 24
INT64_MAX = (1 << 63) - 1

# What is kept for callers; larger values are only checked and skipped.
MAX_KEPT_STRING = 1 << 20  # chat templates are tens of KiB
MAX_KEPT_ARRAY = 4096  # per-layer settings; vocabularies are not kept

# Smallest possible encodings, used to reject counts the file cannot hold.
MIN_KV_BYTES = 8 + 4 + 1  # key length, value type, one-byte value
MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8  # name length, n_dims, one dim, type, offset
MIN_STRING_BYTES = 8
MIN_ARRAY_BYTES = 4 + 8

_VT = gguf.GGUFValueType
SCALAR_FORMATS = {
    _VT.UINT8: "B", _VT.INT8: "b", _VT.BOOL: "?",
    _VT.UINT16: "H", _VT.INT16: "h",
    _VT.UINT32: "I", _VT.INT32: "i", _VT.FLOAT32: "f",
    _VT.UINT64: "Q", _VT.INT64: "q", _VT.FLOAT64: "d",
}
SCALAR_SIZES = {t: struct.calcsize("<" + f) for t, f in SCALAR_FORMATS.items()}

_MAGIC_HINTS = {
    b"lmgg": "; this is the legacy GGML format, convert it to GGUF",
    b"fmgg": "; this is the legacy GGMF format, convert it to GGUF",
    b"tjgg": "; this is the legacy GGJT format, convert it to GGUF",
    b"PK\x03\x04": "; this is a zip archive, e.g. a PyTorch checkpoint",
}


@dataclass(frozen=True)
class GGUFArray:
    """A metadata array. `values` is kept only for short numeric arrays."""

    item_type: gguf.GGUFValueType
    length: int
    values: tuple[Any, ...] | None


@dataclass(frozen=True, slots=True)
class GGUFTensorInfo:
    name: str
    ggml_type: gguf.GGMLQuantizationType
    shape: tuple[int, ...]  # GGUF order: shape[0] is the row length
    n_elements: int
    n_bytes: int
    offset: int  # relative to GGUFHeader.data_offset


@dataclass(frozen=True)
class GGUFHeader:
    """The checked header. `metadata` maps keys to int, float, bool, str,
    GGUFArray, or None for a string too long to keep."""

    version: int
    kv_count: int  # as declared; metadata may hold fewer if keys decode alike
    alignment: int
    data_offset: int
    file_size: int
    architecture: str
    metadata: dict[str, Any] = field(repr=False)
    tensors: tuple[GGUFTensorInfo, ...] = field(repr=False)

    @property
    def tensor_count(self) -> int:
        return len(self.tensors)


def known_architectures() -> list[str]:
    """Architecture names llama.cpp accepts, in the gguf package's order."""
    names = list(gguf.MODEL_ARCH_NAMES.values())
    return names if "clip" in names else names + ["clip"]  # clip: mmproj files


def validate_gguf(path: str | os.PathLike[str]) -> GGUFHeader:
    """Check `path` and return its parsed header; raise ModelFileError on any problem."""
    path = Path(path)
    size = _regular_file_size(path)
    try:
        with open(path, "rb") as f:
            return _check_stream(_Stream(path, f, size))
    except OSError as e:
        raise ModelFileError(path, _os_problem(e)) from e


def _os_problem(e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return "file not found"
    if isinstance(e, IsADirectoryError):
        return "is a directory, not a model file"
    if isinstance(e, PermissionError):
        return "permission denied"
    return f"cannot read file ({e.strerror or e})"


def _regular_file_size(path: Path) -> int:
    try:
        st = path.stat()
    except OSError as e:
        raise ModelFileError(path, _os_problem(e)) from e
    except ValueError as e:  # e.g. an embedded NUL byte
        raise ModelFileError(path, f"invalid path ({e})") from e
    if stat.S_ISDIR(st.st_mode):
        raise ModelFileError(path, "is a directory, not a model file")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        raise ModelFileError(path, "not a regular file")
    if st.st_size == 0:
        raise ModelFileError(path, "file is empty")
    return st.st_size


def _quote(text: str, limit: int = 64) -> str:
    """Quote a name from the file for a one-line message: escaped and short."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


class _Stream:
    """Reads from the file, checking every length against the bytes left."""

    def __init__(self, path: Path, f: BinaryIO, size: int) -> None:
        self.path = path
        self.f = f
        self.size = size
        self.pos = 0
        self.walk_budget = MAX_WALKED_ELEMENTS

    @property
    def remaining(self) -> int:
        return self.size - self.pos

    def fail(self, problem: str) -> NoReturn:
        raise ModelFileError(self.path, problem)

    def _need(self, n: int, what: str) -> None:
        if n > self.remaining:
            self.fail(f"truncated file: {what} at offset {self.pos} needs {n} bytes, "
                      f"only {self.remaining} left")

    def read(self, n: int, what: str) -> bytes:
        self._need(n, what)
        data = self.f.read(n)
        if len(data) != n:  # the file shrank while we were reading it
            self.fail(f"truncated file: {what} at offset {self.pos} is cut short")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        self._need(n, what)
        self.f.seek(n, os.SEEK_CUR)
        self.pos += n

    def u32(self, what: str) -> int:
        return struct.unpack("<I", self.read(4, what))[0]

    def u64(self, what: str) -> int:
        return struct.unpack("<Q", self.read(8, what))[0]

    def string_length(self, what: str, cap: int) -> int:
        start = self.pos
        n = self.u64(f"{what} length")
        if n > cap:
            self.fail(f"absurd {what} length {n} at offset {start} (limit {cap} bytes)")
        self._need(n, what)
        return n

    def string(self, what: str, cap: int) -> bytes:
        return self.read(self.string_length(what, cap), what)

    def skip_string(self, what: str) -> None:
        self.skip(self.string_length(what, MAX_STRING_LEN), what)

    def spend_walk_budget(self, n: int, label: str) -> None:
        self.walk_budget -= n
        if self.walk_budget < 0:
            self.fail(f"metadata {label} pushes the total number of array items "
                      f"past {MAX_WALKED_ELEMENTS}")


def _check_stream(s: _Stream) -> GGUFHeader:
    _check_magic(s)
    version = _check_version(s)
    tensor_count = s.u64("tensor count")
    kv_count = s.u64("metadata count")
    _check_counts(s, tensor_count, kv_count)
    metadata = _read_metadata(s, kv_count)
    architecture = _check_architecture(s, metadata)
    alignment = metadata.get(ALIGNMENT_KEY, DEFAULT_ALIGNMENT)
    if alignment == 0 or alignment & (alignment - 1):
        s.fail(f"{ALIGNMENT_KEY} {alignment} is not a power of two")
    tensors = _read_tensor_infos(s, tensor_count, alignment)
    data_offset = -(-s.pos // alignment) * alignment
    _check_tensor_data(s, tensors, data_offset)
    return GGUFHeader(version, kv_count, alignment, data_offset, s.size, architecture,
                      metadata, tensors)


def _check_magic(s: _Stream) -> None:
    magic = s.read(min(len(GGUF_MAGIC), s.size), "magic")
    if not GGUF_MAGIC.startswith(magic):
        s.fail(f"not a GGUF file (bad magic {magic!r}, expected {GGUF_MAGIC!r}"
               f"{_MAGIC_HINTS.get(magic, '')})")
    if len(magic) < len(GGUF_MAGIC):
        s.fail(f"truncated file: only {s.size} bytes long")


def _check_version(s: _Stream) -> int:
    version = s.u32("version")
    if version in SUPPORTED_VERSIONS:
        return version
    if version == 1:
        s.fail("GGUF version 1 is no longer supported by llama.cpp; get a newer conversion")
    if version != 0 and version & 0xFFFF == 0:
        s.fail(f"GGUF version field {version:#010x} looks byte-swapped; "
               "big-endian GGUF files are not supported")
    s.fail(f"unsupported GGUF version {version} (supported: 2, 3)")


def _check_counts(s: _Stream, tensor_count: int, kv_count: int) -> None:
    for what, n, cap, min_bytes in (("tensor", tensor_count, MAX_TENSORS, MIN_TENSOR_INFO_BYTES),
                                    ("metadata", kv_count, MAX_KVS, MIN_KV_BYTES)):
        if n > cap:
            s.fail(f"absurd {what} count {n} (limit {cap})")
        if n * min_bytes > s.remaining:
            s.fail(f"absurd {what} count {n}: the remaining {s.remaining} bytes hold "
                   f"at most {s.remaining // min_bytes} (truncated or corrupt file)")
    if tensor_count * MIN_TENSOR_INFO_BYTES + kv_count * MIN_KV_BYTES > s.remaining:
        s.fail(f"absurd counts: {tensor_count} tensors and {kv_count} metadata entries "
               f"cannot fit in the remaining {s.remaining} bytes (truncated or corrupt file)")


def _value_type(s: _Stream, label: str) -> gguf.GGUFValueType:
    raw = s.u32(f"value type of {label}")
    try:
        return gguf.GGUFValueType(raw)
    except ValueError:
        s.fail(f"metadata {label} has invalid value type {raw}")


def _read_metadata(s: _Stream, kv_count: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    seen: set[bytes] = set()
    for _ in range(kv_count):
        raw_key = s.string("metadata key", MAX_KEY_LEN)
        key = raw_key.decode("utf-8", errors="replace")
        label = _quote(key)
        if raw_key in seen:
            s.fail(f"duplicate metadata key {label}")
        seen.add(raw_key)
        vtype = _value_type(s, label)
        if key == ARCHITECTURE_KEY and vtype != _VT.STRING:
            s.fail(f"{ARCHITECTURE_KEY} must be a string, not {vtype.name}")
        if key == ALIGNMENT_KEY and vtype != _VT.UINT32:  # llama.cpp aborts otherwise
            s.fail(f"{ALIGNMENT_KEY} must be a UINT32, not {vtype.name}")
        metadata[key] = _read_value(s, label, vtype)
    return metadata


def _read_value(s: _Stream, label: str, vtype: gguf.GGUFValueType) -> Any:
    fmt = SCALAR_FORMATS.get(vtype)
    if fmt is not None:
        return struct.unpack("<" + fmt, s.read(SCALAR_SIZES[vtype], f"value of {label}"))[0]
    if vtype == _VT.STRING:
        n = s.string_length(f"string value of {label}", MAX_STRING_LEN)
        if n > MAX_KEPT_STRING:
            s.skip(n, f"string value of {label}")
            return None
        return s.read(n, f"string value of {label}").decode("utf-8", errors="replace")
    return _read_array(s, label, depth=0)


def _read_array(s: _Stream, label: str, depth: int) -> GGUFArray:
    """Check an array (item type, count, items); keep short numeric ones."""
    if depth >= MAX_ARRAY_DEPTH:
        s.fail(f"metadata {label} nests arrays more than {MAX_ARRAY_DEPTH} deep")
    item_type = _value_type(s, label)
    start = s.pos
    n = s.u64(f"array length of {label}")
    item_size = SCALAR_SIZES.get(item_type)
    min_item = item_size or (MIN_STRING_BYTES if item_type == _VT.STRING else MIN_ARRAY_BYTES)
    if n * min_item > s.remaining:
        s.fail(f"absurd array length {n} for {label} at offset {start}: the remaining "
               f"{s.remaining} bytes hold at most {s.remaining // min_item} items "
               "(truncated or corrupt file)")
    if item_size is not None:
        if n > MAX_KEPT_ARRAY:
            s.skip(n * item_size, f"array {label}")
            return GGUFArray(item_type, n, None)
        data = s.read(n * item_size, f"array {label}")
        return GGUFArray(item_type, n, struct.unpack(f"<{n}{SCALAR_FORMATS[item_type]}", data))
    s.spend_walk_budget(n, label)
    if item_type == _VT.STRING:
        what = f"string in array {label}"
        for _ in range(n):
            s.skip_string(what)
    else:
        for _ in range(n):
            _read_array(s, label, depth + 1)
    return GGUFArray(item_type, n, None)


def _check_architecture(s: _Stream, metadata: dict[str, Any]) -> str:
    if ARCHITECTURE_KEY not in metadata:
        s.fail(f"missing {ARCHITECTURE_KEY} (not a model file?)")
    architecture = metadata[ARCHITECTURE_KEY]
    known = known_architectures()
    if architecture not in known:
        shown = _quote(architecture) if architecture is not None else "(over 1 MiB long)"
        preview = ", ".join(a for a in known[:11] if a != "clip")
        s.fail(f"unknown architecture {shown} "
               f"(llama.cpp supports: {preview}, ... {len(known)} in all)")
    return architecture


def _read_tensor_infos(s: _Stream, count: int, alignment: int) -> tuple[GGUFTensorInfo, ...]:
    names: set[bytes] = set()
    tensors = []
    for i in range(count):
        raw_name = s.string(f"tensor {i} name", MAX_TENSOR_NAME_LEN)
        name = raw_name.decode("utf-8", errors="replace")
        label = _quote(name)
        if raw_name in names:
            s.fail(f"duplicate tensor name {label}")
        names.add(raw_name)
        n_dims = s.u32(f"dimension count of tensor {label}")
        if not 1 <= n_dims <= MAX_DIMS:
            s.fail(f"tensor {label} has {n_dims} dimensions (must be 1 to {MAX_DIMS})")
        shape = struct.unpack(f"<{n_dims}Q", s.read(8 * n_dims, f"shape of tensor {label}"))
        n_elements = 1
        for d in shape:
            if not 1 <= d <= INT64_MAX:
                s.fail(f"tensor {label} has invalid shape {list(shape)}")
            n_elements *= d
        if n_elements > INT64_MAX:
            s.fail(f"tensor {label} shape {list(shape)} overflows a 64-bit element count")
        ggml_type = _ggml_type(s, label, s.u32(f"type of tensor {label}"))
        block_size, type_size = gguf.GGML_QUANT_SIZES[ggml_type]
        if shape[0] % block_size:
            s.fail(f"tensor {label} row length {shape[0]} is not a multiple of "
                   f"its type's block size {block_size}")
        offset = s.u64(f"data offset of tensor {label}")
        if offset % alignment:
            s.fail(f"tensor {label} offset {offset} is not a multiple of the "
                   f"alignment {alignment}")
        tensors.append(GGUFTensorInfo(name, ggml_type, shape, n_elements,
                                      n_elements // block_size * type_size, offset))
    return tuple(tensors)


def _ggml_type(s: _Stream, label: str, raw_type: int) -> gguf.GGMLQuantizationType:
    try:
        ggml_type = gguf.GGMLQuantizationType(raw_type)
    except ValueError:
        s.fail(f"tensor {label} has unknown ggml type {raw_type}")
    if ggml_type not in gguf.GGML_QUANT_SIZES:
        s.fail(f"tensor {label} has unsupported ggml type {ggml_type.name}")
    return ggml_type


def _check_tensor_data(s: _Stream, tensors: tuple[GGUFTensorInfo, ...], data_offset: int) -> None:
    for t in tensors:
        end = data_offset + t.offset + t.n_bytes
        if end > s.size:
            s.fail(f"tensor {_quote(t.name)} data runs past end of file "
                   f"(needs {end} bytes, file has {s.size})")
    by_offset = sorted(tensors, key=lambda t: t.offset)
    for a, b in itertools.pairwise(by_offset):
        if a.offset + a.n_bytes > b.offset:
            s.fail(f"tensors {_quote(a.name)} and {_quote(b.name)} overlap in the data region")
