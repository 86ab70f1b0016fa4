"""Builds the deterministic demo models that tests, benchmarks and newcomers
use: a tiny llama GGUF written from scratch, then quantized down a ladder
with llama.cpp's own quantizer (so the quants are real llama.cpp output).

`workbench demo-models DIR` is a thin wrapper around build_demo_models().
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf

from models.demo.weights import (
    BASE_DTYPES,
    FORMAT_VERSION,
    KEY_FORMAT,
    KEY_SEED,
    KEY_SPEC,
    DemoSpec,
    write_gguf,
)
from models.errors import WorkbenchError

__all__ = [
    "QUANT_LADDER", "DemoSpec", "SPECS", "DemoModel",
    "write_base_model", "quantize", "build_demo_models",
]

# Largest to smallest; all K-quants/Q8_0, none needs an importance matrix.
QUANT_LADDER: tuple[str, ...] = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")

SPECS: dict[str, DemoSpec] = {
    # Builds the whole ladder in a few seconds; for tests.
    "tiny": DemoSpec("tiny", n_embd=256, n_layers=4, n_head=4, n_head_kv=4, n_ff=768, n_ctx_train=2048),
    # ~95M parameters with grouped-query attention; big enough to benchmark.
    "small": DemoSpec("small", n_embd=1024, n_layers=8, n_head=16, n_head_kv=8, n_ff=2816, n_ctx_train=4096),
}


@dataclass(frozen=True)
class DemoModel:
    path: Path
    quant: str  # "F32" for the base model, else a QUANT_LADDER name
    spec: str
    size_bytes: int


def base_model_name(spec: str) -> str:
    return f"workbench-{spec}-F32.gguf"


def quant_model_name(spec: str, quant: str) -> str:
    return f"workbench-{spec}-{quant}.gguf"


def write_base_model(path: str | os.PathLike[str], spec: str = "tiny", seed: int = 0,
                     dtype: str = "F32") -> Path:
    """Write the unquantized model (F32 or F16) atomically; needs only gguf."""
    demo_spec = _spec(spec)
    if dtype not in BASE_DTYPES:
        raise WorkbenchError(f"unknown base dtype {dtype!r}; valid: {', '.join(BASE_DTYPES)}")
    if not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise WorkbenchError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    dst = Path(path)
    with _atomic_output(dst) as part:
        write_gguf(part, demo_spec, seed, dtype)
    return dst


def quantize(src: str | os.PathLike[str], dst: str | os.PathLike[str], quant: str) -> Path:
    """Quantize a GGUF with llama.cpp's quantizer; dst appears only on success."""
    if quant not in QUANT_LADDER:
        raise WorkbenchError(f"unknown quant {quant!r}; valid: {', '.join(QUANT_LADDER)}")
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise WorkbenchError(f"cannot quantize {src}: file not found")
    try:
        import llama_cpp  # imported late: writing base models must not need it
    except ImportError as exc:
        raise WorkbenchError(f"quantizing needs llama-cpp-python: {exc}") from exc

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant}")
    params.nthread = _quantize_threads()
    with _atomic_output(dst) as part, _quiet_llama_cpp_logs():
        rc = llama_cpp.llama_model_quantize(os.fsencode(src), os.fsencode(part), ctypes.byref(params))
        if rc != 0 or not part.is_file():
            raise WorkbenchError(f"llama.cpp failed to quantize {src.name} to {quant} (code {rc})")
    return dst


def build_demo_models(out_dir: str | os.PathLike[str], spec: str = "tiny",
                      quants: Sequence[str] = QUANT_LADDER, seed: int = 0,
                      progress: Callable[[int, int, str], Any] | None = None,
                      cancel: Any = None) -> list[DemoModel]:
    """Write the base model and each quant into out_dir; returns them, base
    first. Files already there from the same spec/seed are kept, so a second
    call is fast. progress(done, total, label) is called before each file
    (label = "F32" or the quant) and once more with done == total, "done".
    `cancel.cancelled` is checked between files and raises
    WorkbenchError("cancelled"); no partial file is left behind."""
    _spec(spec)
    quants = tuple(quants)
    for quant in quants:
        if quant not in QUANT_LADDER:
            raise WorkbenchError(f"unknown quant {quant!r}; valid: {', '.join(QUANT_LADDER)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = out / base_model_name(spec)
    steps = [("F32", base)] + [(q, out / quant_model_name(spec, q)) for q in quants]

    models = []
    for done, (label, path) in enumerate(steps):
        if cancel is not None and getattr(cancel, "cancelled", False):
            raise WorkbenchError("cancelled")
        if progress is not None:
            progress(done, len(steps), label)
        if not _is_current(path, label, spec, seed):
            if label == "F32":
                write_base_model(path, spec, seed, "F32")
            else:
                quantize(base, path, label)
        models.append(DemoModel(path=path, quant=label, spec=spec, size_bytes=path.stat().st_size))
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return models


def _spec(name: str) -> DemoSpec:
    if name not in SPECS:
        raise WorkbenchError(f"unknown demo spec {name!r}; valid: {', '.join(SPECS)}")
    return SPECS[name]


def _file_type(quant: str) -> int:
    return int(gguf.LlamaFileType.ALL_F32 if quant == "F32" else gguf.LlamaFileType[f"MOSTLY_{quant}"])


def _is_current(path: Path, quant: str, spec: str, seed: int) -> bool:
    """True if path is a complete demo file for exactly this spec/seed/quant.
    GGUFReader rejects truncated files, so a damaged file is rebuilt."""
    if not path.is_file():
        return False
    try:
        reader = gguf.GGUFReader(path)
        if any(t.data_offset + t.n_bytes > path.stat().st_size for t in reader.tensors):
            return False  # truncated
        values = {key: reader.get_field(key) for key in
                  (KEY_SPEC, KEY_SEED, KEY_FORMAT, "general.file_type")}
        if any(field is None for field in values.values()):
            return False
        return (values[KEY_SPEC].contents() == spec
                and values[KEY_SEED].contents() == seed
                and values[KEY_FORMAT].contents() == FORMAT_VERSION
                and values["general.file_type"].contents() == _file_type(quant))
    except Exception:  # any parse error means "not a usable file": rebuild it
        return False


@contextlib.contextmanager
def _atomic_output(dst: Path) -> Iterator[Path]:
    """Yield a .part path to write; rename it over dst on success, delete it
    on any failure, so dst is either absent, the old file, or complete."""
    part = dst.with_name(dst.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield part
        os.replace(part, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()


@contextlib.contextmanager
def _quiet_llama_cpp_logs() -> Iterator[None]:
    """The quantizer logs every tensor; llama-cpp-python prints logs only at
    or above its logger's level, so raise it to ERROR for the call."""
    logger = logging.getLogger("llama-cpp-python")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _quantize_threads() -> int:
    # Quantizing small models is memory-bound; a few threads are plenty and
    # leave the machine usable.
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 4))
