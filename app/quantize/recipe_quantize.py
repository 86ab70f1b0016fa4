"""Quantize with a recipe through llama.cpp's llama-quantize.

The C API's per-tensor overrides live in a C++ vector the Python binding
cannot fill, so recipes run the reference tool itself: ``--tensor-type`` per
rule, ``--override-kv`` to record the recipe in the output's metadata, and
``--imatrix`` as usual. Progress comes from its ``[ i/ n]`` tensor lines;
cancel terminates it and removes the ``.part`` file.
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.errors import RecipeQuantizeCancelled
from app.quantize.recipes import Recipe
from app.tool_process import stop_process
from models.errors import WorkbenchError
from runtimes.child_process import popen

_TENSOR = re.compile(rb"\[\s*(\d+)/\s*(\d+)\]")
_POLL_S = 0.1


def find_quantize_tool() -> Path:
    from runtimes.llama_cpp.native_build import find_tool, missing_tool_message

    tool = find_tool("llama-quantize")
    if tool is None:
        raise WorkbenchError(missing_tool_message("quantizing with a recipe", "llama-quantize"))
    return tool


def command(tool: Path, src: Path, dst: Path, base: str, recipe: Recipe, n_threads: int,
            imatrix: Path | None = None) -> list[str]:
    args = [str(tool)]
    if imatrix is not None:
        args += ["--imatrix", str(imatrix)]
    for pattern, kind in recipe.resolve(base):
        args += ["--tensor-type", f"{pattern}={kind}"]
    for key, value in recipe.metadata(base).items():
        args += ["--override-kv", f"{key}=str:{value}"]
    return [*args, str(src), str(dst), base.upper(), str(n_threads)]


def quantize_with_recipe(src: Path, dst: Path, base: str, recipe: Recipe, n_threads: int = 2,
                         imatrix: Path | None = None, progress: Callable[[int, int], Any] | None = None,
                         cancel: Any = None) -> Path:
    """Writes ``dst`` (via ``dst.part``); raises RecipeQuantizeCancelled on cancel, WorkbenchError on failure."""
    args = command(find_quantize_tool(), src, dst.with_name(dst.name + ".part"), base, recipe, n_threads, imatrix)
    part = Path(args[-3])
    proc = popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log = b""
    try:
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            if cancel is not None and getattr(cancel, "cancelled", False):
                raise RecipeQuantizeCancelled("cancelled")
            if not selector.select(_POLL_S):
                continue
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                break
            log = (log + data)[-16384:]
            found = list(_TENSOR.finditer(data))
            if found and progress is not None:
                progress(int(found[-1].group(1)), int(found[-1].group(2)))
        selector.close()
        proc.wait()
        if proc.returncode != 0 or not part.is_file():
            tail = " | ".join(log.decode(errors="replace").strip().splitlines()[-4:])
            raise WorkbenchError(f"llama-quantize failed (exit {proc.returncode}): {tail}")
        part.replace(dst)
        return dst
    except BaseException:
        stop_process(proc)
        raise
    finally:
        part.unlink(missing_ok=True)
