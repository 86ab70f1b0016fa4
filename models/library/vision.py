"""Which local models can see: link the library's text models to the vision
projectors (mmproj GGUFs) beside them, as LM Studio marks vision models.

The link is the one the Chat page's "Auto" mmproj makes when the model is
loaded (mmproj_pairing.auto_pair over the files named mmproj in the model's
folder), so a model marked here really loads with that projector. A projector
whose output width does not fit the model is never linked (pair_library checks
the widths); the projector's note then says why.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from models.errors import MmprojMismatch, ModelFileError
from models.gguf.validate import GGUFHeader
from models.hub.quants import is_mmproj
from models.library.mmproj_pairing import MmprojInfo, check_pair, mmproj_stem, pair_library, read_mmproj
from models.library.scan import LibraryEntry, name_stem

Scanned = list[tuple[LibraryEntry, GGUFHeader | None]]


def link_projectors(scanned: Scanned) -> list[LibraryEntry]:
    """The entries, with ``projector`` set on paired models and ``serves`` on projectors."""
    projectors: dict[Path, MmprojInfo] = {}
    unusable: dict[Path, str] = {}
    for entry, header in scanned:
        if entry.is_projector and header is not None:
            try:
                projectors[entry.path] = read_mmproj(entry.path, header)
            except ModelFileError as e:  # e.g. an audio-only projector
                unusable[entry.path] = f"not usable for images: {e.problem}"
    if not projectors and not unusable:
        return [entry for entry, _ in scanned]

    models = _models_by_folder(scanned)
    pairs = {}
    for folder, candidates in _auto_candidates(projectors).items():
        pairs.update(pair_library(models.get(folder, []), candidates))
    served: dict[Path, list[Path]] = {}
    for model, pairing in sorted(pairs.items()):
        served.setdefault(pairing.mmproj.path, []).append(model)

    linked = []
    for entry, _ in scanned:
        if entry.path in pairs:
            pairing = pairs[entry.path]
            entry = replace(entry, projector=pairing.mmproj.path, vision_note=pairing.reason)
        elif entry.is_projector:
            serves = tuple(served.get(entry.path, ()))
            note = None if serves else unusable.get(entry.path) or _why_unpaired(
                projectors[entry.path], models.get(entry.path.parent, []))
            entry = replace(entry, serves=serves, vision_note=note)
        linked.append(entry)
    return linked


def _models_by_folder(scanned: Scanned) -> dict[Path, list[tuple[Path, GGUFHeader]]]:
    folders: dict[Path, list[tuple[Path, GGUFHeader]]] = {}
    for entry, header in scanned:
        if header is not None and not entry.is_projector:
            folders.setdefault(entry.path.parent, []).append((entry.path, header))
    return folders


def _auto_candidates(projectors: dict[Path, MmprojInfo]) -> dict[Path, list[MmprojInfo]]:
    """Per folder, the projectors Auto would consider (find_mmproj_files: named mmproj)."""
    folders: dict[Path, list[MmprojInfo]] = {}
    for path, info in sorted(projectors.items()):
        if is_mmproj(path.name):
            folders.setdefault(path.parent, []).append(info)
    return folders


def _why_unpaired(info: MmprojInfo, folder_models: list[tuple[Path, GGUFHeader]]) -> str:
    if not is_mmproj(info.path.name):
        return "its name does not say mmproj, so Auto never picks it: choose it by hand when loading a model"
    if not folder_models:
        return "no model in its folder"
    stem = mmproj_stem(info.path.name)
    named = [m for m in folder_models if stem and name_stem(m[0].name).startswith(stem)]
    for model, header in named or (folder_models if len(folder_models) == 1 else []):
        try:
            check_pair(model, header, info)
        except MmprojMismatch as e:
            return str(e)
    return "no model in its folder matches its name and width"
