"""Importance-matrix files for the quantizer, read as llama-quantize reads them.

llama.cpp loads imatrix files in its ``common`` library (imatrix-loader.cpp),
which llama-cpp-python does not ship; libllama only takes the finished
per-tensor arrays (``llama_model_imatrix_data``). This module does the
loader's part: both formats llama-imatrix writes, normalized exactly as
tools/quantize/quantize.cpp ``load_imatrix`` does, in float32.

* GGUF: tensors ``<name>.in_sum2`` (sums of squared activations, one row per
  expert) and ``<name>.counts`` (tokens seen per expert), plus the
  ``imatrix.datasets`` / ``imatrix.chunk_count`` / ``imatrix.chunk_size`` keys;
  values are sums / count per expert, and 1 where an expert saw no tokens.
* legacy ``.dat``: int32 entry count; per entry an int32-length name, int32
  ncall, int32 nval and nval floats; optionally chunk count and dataset name
  at the end. Values are sums / ncall.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.errors import ImatrixError

_F32 = np.float32
_SUM2, _COUNTS = ".in_sum2", ".counts"


@dataclass
class Imatrix:
    path: Path
    entries: dict[str, np.ndarray]  # tensor name -> float32 importance per column (per expert, concatenated)
    datasets: list[str] = field(default_factory=list)
    chunk_count: int = 0
    legacy: bool = False


def load_imatrix(path: Path) -> Imatrix:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ImatrixError(f"cannot read the imatrix file {path}: {exc.strerror or exc}") from exc
    imatrix = _load_gguf(path) if magic == b"GGUF" else _load_legacy(path)
    if not imatrix.entries:
        raise ImatrixError(f"{path.name}: the imatrix file has no entries")
    for name, values in imatrix.entries.items():
        if not np.all(np.isfinite(values)):  # llama.cpp aborts the whole quantization on these
            raise ImatrixError(f"{path.name}: the imatrix entry {name} has non-finite values")
    return imatrix


def _load_gguf(path: Path) -> Imatrix:
    import gguf

    try:
        reader = gguf.GGUFReader(path)
    except Exception as exc:  # any parse error: not a usable GGUF
        raise ImatrixError(f"{path.name}: not a readable GGUF imatrix ({exc})") from exc

    def value(key: str):
        found = reader.get_field(key)
        return None if found is None else found.contents()

    datasets, chunk_count, chunk_size = (value("imatrix.datasets"), value("imatrix.chunk_count"),
                                         value("imatrix.chunk_size"))
    if datasets is None or chunk_count is None or chunk_size is None:
        raise ImatrixError(f"{path.name}: missing imatrix metadata (imatrix.datasets, imatrix.chunk_count, "
                           "imatrix.chunk_size); is this an importance matrix from llama-imatrix?")
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for tensor in reader.tensors:
        for suffix in (_SUM2, _COUNTS):
            if tensor.name.endswith(suffix):
                if tensor.tensor_type != gguf.GGMLQuantizationType.F32:
                    raise ImatrixError(f"{path.name}: {tensor.name} must be F32")
                pairs.setdefault(tensor.name[: -len(suffix)], {})[suffix] = np.asarray(tensor.data, _F32).ravel()
    entries = {}
    for name, pair in pairs.items():
        if len(pair) != 2:
            raise ImatrixError(f"{path.name}: mismatched sums and counts for {name}")
        sums, counts = pair[_SUM2], np.rint(pair[_COUNTS]).astype(np.int64)  # lround, as the loader
        if counts.size == 0 or sums.size % counts.size:
            raise ImatrixError(f"{path.name}: {name} has {sums.size} sums for {counts.size} counts")
        rows = sums.reshape(counts.size, -1)
        per_expert = counts.astype(_F32)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(per_expert > 0, rows / np.where(per_expert > 0, per_expert, _F32(1)), _F32(1))
        entries[name] = np.ascontiguousarray(values.astype(_F32).ravel())
    return Imatrix(path, entries, [str(d) for d in datasets], int(chunk_count))


def _load_legacy(path: Path) -> Imatrix:
    data = path.read_bytes()
    pos = 0

    def take(fmt: str) -> tuple:
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise ImatrixError(f"{path.name}: not an imatrix file (neither GGUF nor the legacy .dat format; "
                               f"it ends early at byte {pos})")
        values = struct.unpack_from(fmt, data, pos)
        pos += size
        return values

    (n_entries,) = take("<i")
    if n_entries < 1:
        raise ImatrixError(f"{path.name}: not an imatrix file (no entries)")
    entries = {}
    for _ in range(n_entries):
        (length,) = take("<i")
        if length < 0 or length > 4096:
            raise ImatrixError(f"{path.name}: not an imatrix file (bad tensor name length {length})")
        name = take(f"<{length}s")[0].decode("utf-8", "replace")
        ncall, nval = take("<ii")
        if nval < 1:
            raise ImatrixError(f"{path.name}: entry {name} has no values")
        if pos + 4 * nval > len(data):
            raise ImatrixError(f"{path.name}: entry {name} is cut short ({nval} values expected)")
        sums = np.frombuffer(data, dtype="<f4", count=nval, offset=pos).astype(_F32)
        pos += 4 * nval
        entries[name] = sums / _F32(ncall) if ncall > 0 else sums.copy()
    chunk_count, datasets = 0, []
    if pos + 4 <= len(data):  # optional trailer: chunk count and dataset name
        (chunk_count,) = take("<i")
        if pos + 4 <= len(data):
            (length,) = take("<i")
            if 0 < length <= len(data) - pos:
                datasets.append(take(f"<{length}s")[0].decode("utf-8", "replace"))
    return Imatrix(path, entries, datasets, chunk_count, legacy=True)
