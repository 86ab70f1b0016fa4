"""Served names for the library: `<stem>:<QUANT>` (e.g. `gemma-3-270m:Q4_K_M`), as `lms ls` and
`ollama list` show them, with the file stem as an alias. One table serves `workbench ls`,
/v1/models (through the preset INI) and the Server page, so the names always agree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.hub.quants import quant_of
from models.library.scan import LibraryEntry, name_stem


@dataclass(frozen=True)
class ServedModel:
    name: str  # what clients put in "model"
    path: Path
    size_bytes: int
    quant: str  # "Q4_K_M", or "?" when neither the header nor the file name says
    source: str  # workbench, huggingface, lmstudio, ollama, file
    alias: str | None  # the file stem, when it differs from the name


def served_name(entry: LibraryEntry) -> str:
    quant = _quant(entry)
    if entry.source == "ollama":
        return entry.display_name  # already "model:tag", the name Ollama users know
    stem = name_stem(entry.display_name) or entry.path.stem.lower()
    return f"{stem}:{quant}" if quant != "?" else stem


def served_models(entries: list[LibraryEntry]) -> list[ServedModel]:
    """Every loadable model once, sorted by name; a clash gets -2, -3 … (first scanned wins)."""
    result: list[ServedModel] = []
    taken: set[str] = set()
    for entry in entries:
        if entry.info is None or entry.is_projector:
            continue
        name = base = served_name(entry)
        n = 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        stem = Path(entry.display_name).stem if entry.display_name.endswith(".gguf") else None
        alias = stem if stem and stem != name else None
        result.append(ServedModel(name, entry.path, entry.info.file_size, _quant(entry), entry.source, alias))
    _drop_clashing_aliases(result)
    return sorted(result, key=lambda m: m.name)


def model_from_file(path: Path) -> ServedModel:
    """A GGUF named on the command line that is not in the library."""
    from models.gguf.info import read_gguf_info

    info = read_gguf_info(path)  # raises ModelFileError with the reason
    entry = LibraryEntry(path, "file", True, path.name, info)
    return ServedModel(served_name(entry), path, info.file_size, _quant(entry), "file", path.stem)


def select(models: list[ServedModel], wanted: list[str]) -> list[ServedModel]:
    """Only the models named (by name, alias or path); an unknown name is an error listing the valid ones."""
    by_key = {m.name: m for m in models} | {m.alias: m for m in models if m.alias}
    chosen: list[ServedModel] = []
    for want in wanted:
        path = Path(want).expanduser()
        if want in by_key:
            model = by_key[want]
        elif path.suffix.lower() == ".gguf" and path.is_file():
            model = next((m for m in models if m.path.resolve() == path.resolve()), None) or model_from_file(path)
        else:
            valid = ", ".join(m.name for m in models) or "none: the library is empty"
            raise ValueError(f"no model named {want!r} in the library; valid names: {valid}")
        if model not in chosen:
            chosen.append(model)
    return chosen


def _quant(entry: LibraryEntry) -> str:
    if entry.info is not None and entry.info.file_type_name:
        return entry.info.file_type_name
    return quant_of(entry.display_name) or "?"


def _drop_clashing_aliases(models: list[ServedModel]) -> None:
    names = {m.name for m in models}
    seen: set[str] = set()
    for i, m in enumerate(models):
        if m.alias and (m.alias in names or m.alias in seen):
            models[i] = ServedModel(m.name, m.path, m.size_bytes, m.quant, m.source, None)
        elif m.alias:
            seen.add(m.alias)
