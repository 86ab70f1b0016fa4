"""Quantize a full-precision GGUF to several types, each in a child process.

llama.cpp's quantizer has no progress or cancel hook, so each target runs in
its own process: cancel kills it (the .part file is removed) and progress is
reported per target. Output names follow ``<stem>-<TYPE>.gguf``. An
importance matrix (llama-imatrix's GGUF or legacy .dat) is read by
``app.quantize.imatrix_file`` and handed to libllama as llama-quantize does.
"""

from __future__ import annotations

import multiprocessing as mp
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.quantize.imatrix_file import load_imatrix
from app.quantize.recipes import Recipe
from models.errors import WorkbenchError
from models.gguf.info import read_gguf_info
from runtimes.child_process import die_with_parent, in_spawner

TARGETS = ("Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q3_K_M", "Q3_K_S", "Q2_K", "IQ4_XS")
SOURCE_TYPES = ("F32", "F16", "BF16")
_POLL_S = 0.1


def output_path(src: Path, out_dir: Path, target: str, recipe: str | None = None) -> Path:
    """``<stem>-<TYPE>.gguf``, or ``<stem>-<TYPE>-<recipe>.gguf`` when a recipe made it."""
    stem = re.sub(r"[-.](F32|F16|BF16)$", "", src.stem, flags=re.IGNORECASE)
    return out_dir / (f"{stem}-{target}-{recipe}.gguf" if recipe else f"{stem}-{target}.gguf")


def _quantize_child(src: str, dst: str, target: str, n_threads: int, imatrix_path: str | None = None) -> None:
    import ctypes
    import os

    die_with_parent()
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{target}")
    params.nthread = n_threads
    keep_alive = _attach_imatrix(llama_cpp, params, imatrix_path) if imatrix_path else None
    rc = llama_cpp.llama_model_quantize(os.fsencode(src), os.fsencode(dst), ctypes.byref(params))
    del keep_alive  # the arrays params points into must live until llama.cpp is done
    raise SystemExit(0 if rc == 0 else 1)


def _attach_imatrix(llama_cpp: Any, params: Any, imatrix_path: str) -> list[Any]:
    """Point ``params`` at the imatrix data and record it in the output's metadata,
    as llama-quantize --imatrix does; returns what must stay alive meanwhile."""
    import ctypes

    from app.quantize.imatrix_file import load_imatrix

    imatrix = load_imatrix(Path(imatrix_path))
    names = sorted(imatrix.entries)
    values = [imatrix.entries[n] for n in names]
    data = (llama_cpp.llama_model_imatrix_data * (len(names) + 1))()
    for item, name, array in zip(data, names, values, strict=False):
        item.name = name.encode()
        item.data = array.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        item.size = array.size
    params.imatrix = data  # the last item stays zeroed: the terminator llama.cpp looks for

    overrides = [("quantize.imatrix.file", imatrix_path)]
    if imatrix.datasets:
        overrides.append(("quantize.imatrix.dataset", imatrix.datasets[0]))
    overrides.append(("quantize.imatrix.entries_count", len(names)))
    if imatrix.chunk_count > 0:
        overrides.append(("quantize.imatrix.chunks_count", imatrix.chunk_count))
    kv = (llama_cpp.llama_model_kv_override * (len(overrides) + 1))()
    for item, (key, value) in zip(kv, overrides, strict=False):
        item.key = key.encode()
        if isinstance(value, str):
            item.tag = llama_cpp.LLAMA_KV_OVERRIDE_TYPE_STR
            item.value.val_str = value.encode()[:127]  # llama-quantize keeps 127 bytes too
        else:
            item.tag = llama_cpp.LLAMA_KV_OVERRIDE_TYPE_INT
            item.value.val_i64 = value
    params.kv_overrides = kv  # zeroed last item: empty key ends the list
    return [data, kv, values]


def quantize_many(src: Path, targets: list[str], out_dir: Path, n_threads: int = 2,
                  progress: Callable[[int, int, str], Any] | None = None, cancel: Any = None,
                  imatrix: Path | None = None, recipe: Recipe | None = None) -> list[Path]:
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise WorkbenchError(f"unknown quant type(s) {', '.join(unknown)}; valid: {', '.join(TARGETS)}")
    info = read_gguf_info(src)
    if info.file_type_name not in SOURCE_TYPES:
        raise WorkbenchError(f"{src.name} is {info.file_type_name}; quantize from {', '.join(SOURCE_TYPES)} "
                             "(re-quantizing an already quantized model loses quality)")
    if imatrix is not None:
        load_imatrix(imatrix)  # a bad file is named here, before any quantizer starts
    if recipe is not None:
        for target in targets:
            recipe.metadata(target)  # a recipe that does not apply is refused before any work
        return _quantize_recipe(src, targets, out_dir, n_threads, progress, cancel, imatrix, recipe)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("spawn")
    done: list[Path] = []
    for index, target in enumerate(targets):
        if progress is not None:
            progress(index, len(targets), target)
        dst = output_path(src, out_dir, target)
        part = dst.with_name(dst.name + ".part")
        args = (str(src), str(part), target, n_threads, str(imatrix) if imatrix is not None else None)
        process = ctx.Process(target=_quantize_child, args=args, daemon=True)
        in_spawner(process.start)
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


def _quantize_recipe(src: Path, targets: list[str], out_dir: Path, n_threads: int,
                     progress: Callable[[int, int, str], Any] | None, cancel: Any, imatrix: Path | None,
                     recipe: Recipe) -> list[Path]:
    """Recipes run llama-quantize (see app.quantize.recipe_quantize); cancel raises "cancelled" as above."""
    from app.errors import RecipeQuantizeCancelled
    from app.quantize.recipe_quantize import quantize_with_recipe

    out_dir.mkdir(parents=True, exist_ok=True)
    done: list[Path] = []
    for index, target in enumerate(targets):
        label = f"{target}-{recipe.name}"
        if progress is not None:
            progress(index, len(targets), label)
        step = (lambda i, n, index=index, label=label: progress(index + i / n, len(targets), label)
                ) if progress else None
        try:
            done.append(quantize_with_recipe(src, output_path(src, out_dir, target, recipe.name), target, recipe,
                                             n_threads, imatrix, step, cancel))
        except RecipeQuantizeCancelled:
            raise WorkbenchError("cancelled") from None
    if progress is not None:
        progress(len(targets), len(targets), "done")
    return done
