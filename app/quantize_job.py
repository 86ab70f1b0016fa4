"""Quantize a full-precision GGUF to several types, each in a child process.

llama.cpp's quantizer has no progress or cancel hook, so each target runs in
its own process: cancel kills it (the .part file is removed) and progress is
reported per target. Output names follow ``<stem>-<TYPE>.gguf``.
"""

from __future__ import annotations

import multiprocessing as mp
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.errors import WorkbenchError
from models.gguf_info import read_gguf_info

TARGETS = ("Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q3_K_M", "Q3_K_S", "Q2_K", "IQ4_XS")
SOURCE_TYPES = ("F32", "F16", "BF16")
_POLL_S = 0.1


def output_path(src: Path, out_dir: Path, target: str) -> Path:
    stem = re.sub(r"[-.](F32|F16|BF16)$", "", src.stem, flags=re.IGNORECASE)
    return out_dir / f"{stem}-{target}.gguf"


def _quantize_child(src: str, dst: str, target: str, n_threads: int) -> None:
    import ctypes
    import os

    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{target}")
    params.nthread = n_threads
    rc = llama_cpp.llama_model_quantize(os.fsencode(src), os.fsencode(dst), ctypes.byref(params))
    raise SystemExit(0 if rc == 0 else 1)


def quantize_many(src: Path, targets: list[str], out_dir: Path, n_threads: int = 2,
                  progress: Callable[[int, int, str], Any] | None = None, cancel: Any = None) -> list[Path]:
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise WorkbenchError(f"unknown quant type(s) {', '.join(unknown)}; valid: {', '.join(TARGETS)}")
    info = read_gguf_info(src)
    if info.file_type_name not in SOURCE_TYPES:
        raise WorkbenchError(f"{src.name} is {info.file_type_name}; quantize from {', '.join(SOURCE_TYPES)} "
                             "(re-quantizing an already quantized model loses quality)")
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("spawn")
    done: list[Path] = []
    for index, target in enumerate(targets):
        if progress is not None:
            progress(index, len(targets), target)
        dst = output_path(src, out_dir, target)
        part = dst.with_name(dst.name + ".part")
        process = ctx.Process(target=_quantize_child, args=(str(src), str(part), target, n_threads), daemon=True)
        process.start()
        try:
            while process.is_alive():
                if cancel is not None and getattr(cancel, "cancelled", False):
                    process.kill()
                    process.join()
                    raise WorkbenchError("cancelled")
                process.join(_POLL_S)
            if process.exitcode != 0 or not part.is_file():
                raise WorkbenchError(f"llama.cpp failed to quantize {src.name} to {target} (exit {process.exitcode})")
            part.replace(dst)
        except BaseException:  # Ctrl+C or cancel: never leave a quantizer running
            if process.is_alive():
                process.kill()
                process.join()
            raise
        finally:
            part.unlink(missing_ok=True)
        done.append(dst)
    if progress is not None:
        progress(len(targets), len(targets), "done")
    return done
