"""The library as the server sees it: every quant of every model (app models folder, HF cache,
LM Studio and Ollama imports), named by app.server.names."""

from __future__ import annotations

from pathlib import Path

from app.server.names import ServedModel, select, served_models
from models.library.scan import default_sources, scan_library


def library_models(models_dir: Path | None = None, hf_cache: Path | None = None,
                   home: Path | None = None) -> list[ServedModel]:
    from app import paths
    from models.download.paths import default_cache_dir

    if models_dir is None:
        from app.settings import load_settings

        models_dir = Path(load_settings().models_dir or paths.models_dir())
    sources = default_sources(Path(models_dir), hf_cache or default_cache_dir(), home)
    return served_models(scan_library(sources))


def models_to_serve(wanted: list[str], **library_args) -> list[ServedModel]:
    """`wanted` empty: the whole library; otherwise those names, aliases or GGUF paths."""
    if wanted and all(Path(w).suffix.lower() == ".gguf" and Path(w).is_file() for w in wanted):
        return select([], wanted)  # files only: no need to scan the library
    models = library_models(**library_args)
    return select(models, wanted) if wanted else models
