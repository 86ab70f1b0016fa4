"""Making K-quants of a local full-precision model, as a generator for
``ui.shell.workers.start_worker``: which entries qualify, where their quants go, and the job
itself (app.quantize.job does the work, one target at a time so each finished
file is reported and named before the next starts). No Qt here; the job does
file I/O and waits on child processes, so it only runs off the GUI thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.quantize.job import SOURCE_TYPES, output_path, quantize_many
from app.quantize.recipes import Recipe
from models.library.scan import LibraryEntry
from runtimes.base import CancelToken


@dataclass(frozen=True)
class QuantizeRequest:
    entry: LibraryEntry
    targets: tuple[str, ...]
    out_dir: Path
    imatrix: Path | None = None
    recipe: Recipe | None = None  # keep some tensors at higher types (app.quantize.recipes)


def why_not_quantizable(entry: LibraryEntry | None) -> str | None:
    """None when ``entry`` can be quantized, else the reason (shown as a tooltip)."""
    if entry is None:
        return "Select a full-precision (F32, F16 or BF16) model"
    if entry.info is None:
        return f"{entry.display_name} could not be read"
    if entry.is_projector:
        return "A vision projector is not quantized on its own"
    if entry.info.file_type_name not in SOURCE_TYPES:
        return (f"{entry.display_name} is already {entry.info.file_type_name}: "
                f"quants are made from {', '.join(SOURCE_TYPES)}")
    return None


def default_out_dir(entry: LibraryEntry, models_dir: Path) -> Path:
    """Next to the source, unless its folder belongs to another app (LM Studio,
    Ollama) or to the Hugging Face cache, whose snapshots only hold what the Hub serves."""
    return models_dir if entry.read_only or entry.source == "huggingface" else entry.path.parent


def output_for(entry: LibraryEntry, out_dir: Path, target: str, recipe: str | None = None) -> Path:
    """Named after the source file (and the recipe, if any); an Ollama blob is named after its hash,
    so its tag is used."""
    if entry.source == "ollama":
        return output_path(Path(re.sub(r"[:/\\]", "-", entry.display_name) + ".gguf"), out_dir, target, recipe)
    return output_path(entry.path, out_dir, target, recipe)


def quantize_job(request: QuantizeRequest, n_threads: int):
    """Yields ("progress", index, total, target) before each target, ("made", path)
    after it, and last ("done",) or ("cancelled",); an error is raised."""

    def job(cancel: CancelToken) -> Iterator[tuple[Any, ...]]:
        total = len(request.targets)
        for index, target in enumerate(request.targets):
            yield ("progress", index, total, target)
            if cancel.cancelled:
                break
            try:
                written = quantize_many(request.entry.path, [target], request.out_dir, n_threads,
                                        cancel=cancel, imatrix=request.imatrix, recipe=request.recipe)[0]
            except Exception:
                if cancel.cancelled:  # quantize_many killed the child and removed its .part file
                    break
                raise
            final = output_for(request.entry, request.out_dir, target,
                               request.recipe.name if request.recipe else None)
            if written != final:
                written.replace(final)
            yield ("made", final)
        yield ("cancelled",) if cancel.cancelled else ("done",)

    return job
