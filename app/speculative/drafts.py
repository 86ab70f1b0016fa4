"""Which local models can draft for a target, and why the others cannot.

Scans the library (the models folder, the Hugging Face cache, LM Studio and
Ollama imports) plus any extra files the caller knows of (recent files), and
splits them with models.gguf.vocab_compat. Reads file headers: run it off the GUI
thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from models.download.paths import default_cache_dir
from models.errors import ModelFileError
from models.gguf.info import read_gguf_info
from models.gguf.vocab_compat import DraftChoices, library_draft_choices
from models.library.scan import LibraryEntry, default_sources, scan_library


def local_draft_choices(target: Path, models_dir: str | None, extra: Iterable[Path] = ()) -> DraftChoices:
    """``models_dir`` None: the one in the saved settings."""
    if models_dir is None:
        from app.settings import load_settings

        models_dir = load_settings().models_dir
    entries = scan_library(default_sources(Path(models_dir), default_cache_dir()))
    seen = {e.path.resolve() for e in entries}
    for path in extra:  # e.g. recent files outside the library
        path = Path(path)
        if path.suffix.lower() != ".gguf" or not path.is_file() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            entries.append(LibraryEntry(path, "recent", True, path.name, read_gguf_info(path)))
        except ModelFileError as exc:
            entries.append(LibraryEntry(path, "recent", True, path.name, None, exc.problem))
    return library_draft_choices(target, entries)
