"""The local model library: the app's models folder and the Hugging Face cache
(ours, deletable), plus read-only imports from LM Studio and Ollama.

Quants of one base model are grouped (same architecture, layer count, width,
vocabulary size and name stem) so the Compare page can find siblings. Vision
projectors (mmproj files) are told apart from models and linked to the models
they serve (models.library.vision).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelFileError, WorkbenchError
from models.gguf.info import GGUFInfo, read_gguf_info
from models.gguf.validate import GGUFHeader, validate_gguf
from models.hub.quants import SPLIT, quant_of

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    source: str  # "workbench", "huggingface", "lmstudio", "ollama"
    read_only: bool
    display_name: str
    info: GGUFInfo | None
    problem: str | None = None  # why the header could not be read
    projector: Path | None = None  # a model: the mmproj that Auto loads with it
    vision_note: str | None = None  # why that mmproj; or why a projector serves no model
    serves: tuple[Path, ...] = ()  # a projector: the models it is paired with

    @property
    def is_projector(self) -> bool:
        """An mmproj (architecture "clip"): the image half of a vision model, not a chat model."""
        return self.info is not None and self.info.architecture == "clip"

    @property
    def sibling_key(self) -> tuple | None:
        if self.info is None or self.is_projector:
            return None
        i = self.info
        return (i.architecture, i.n_layers, i.n_embd, i.vocab_size, name_stem(self.display_name))


def default_sources(models_dir: Path, hf_cache: Path, home: Path | None = None) -> list[tuple[str, Path, bool]]:
    home = home or Path.home()
    return [("workbench", models_dir, False), ("huggingface", hf_cache, False),
            ("lmstudio", home / ".lmstudio" / "models", True),
            ("lmstudio", home / ".cache" / "lm-studio" / "models", True),
            ("ollama", home / ".ollama" / "models", True)]


def scan_library(sources: list[tuple[str, Path, bool]]) -> list[LibraryEntry]:
    """Every GGUF in ``sources``; models that have a projector next to them say so."""
    from models.library.vision import link_projectors  # it builds on this module (name_stem)

    return link_projectors(scan_headers(sources))


def scan_headers(sources: list[tuple[str, Path, bool]]) -> list[tuple[LibraryEntry, GGUFHeader | None]]:
    """The entries, each with the header it was read from (None when unreadable)."""
    entries: list[tuple[LibraryEntry, GGUFHeader | None]] = []
    seen: set[Path] = set()
    for source, root, read_only in sources:
        if not root.is_dir():
            continue
        found = _ollama_models(root) if source == "ollama" else _gguf_files(root, source)
        for name, path in found:
            real = path.resolve()
            if real in seen:  # the HF cache's snapshot links point at one blob
                continue
            seen.add(real)
            entries.append(_entry(path, source, read_only, name))
    return entries


def group_siblings(entries: list[LibraryEntry]) -> dict[tuple, list[LibraryEntry]]:
    groups: dict[tuple, list[LibraryEntry]] = {}
    for e in entries:
        if e.sibling_key is not None:
            groups.setdefault(e.sibling_key, []).append(e)
    return groups


def delete_model(entry: LibraryEntry, confirmed: bool) -> None:
    """Delete a model we own. Imported (read-only) files are never touched."""
    if entry.read_only:
        raise WorkbenchError(f"{entry.display_name} belongs to {entry.source}; remove it there (imported read-only)")
    if not confirmed:
        raise WorkbenchError(f"not deleting {entry.display_name}: deletion was not confirmed")
    target = entry.path.resolve()
    if entry.path.is_symlink():
        entry.path.unlink()  # HF cache: the snapshot link, then the blob it pointed at
    target.unlink(missing_ok=True)


def name_stem(name: str) -> str:
    """'Llama-3.2-1B-Instruct-Q4_K_M.gguf' -> 'llama-3.2-1b-instruct'."""
    base = name.rsplit("/", 1)[-1]
    m = SPLIT.match(base)
    base = (m["stem"] if m else base).removesuffix(".gguf")
    quant = quant_of(base)
    if quant:
        base = re.sub(re.escape(quant), "", base, flags=re.IGNORECASE)
    return re.sub(r"[-_.]+$", "", base).lower()


def _gguf_files(root: Path, source: str):
    for path in sorted(root.rglob("*.gguf")):
        if "quarantine" in path.parts or not path.is_file():
            continue
        if source == "huggingface" and "snapshots" not in path.parts:
            continue
        yield path.name, path


def _ollama_models(root: Path):
    """manifests/<registry>/<ns>/<model>/<tag> -> blobs/sha256-<hex> of the model layer."""
    for manifest in sorted((root / "manifests").rglob("*")):
        if not manifest.is_file():
            continue
        try:
            layers = json.loads(manifest.read_text()).get("layers", [])
        except (OSError, ValueError, AttributeError):
            continue
        for layer in layers:
            if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER:
                digest = str(layer.get("digest", "")).replace(":", "-")
                blob = root / "blobs" / digest
                if re.fullmatch(r"sha256-[0-9a-f]{64}", digest) and blob.is_file():
                    yield f"{manifest.parent.name}:{manifest.name}", blob


def _entry(path: Path, source: str, read_only: bool, name: str) -> tuple[LibraryEntry, GGUFHeader | None]:
    try:
        header = validate_gguf(path)  # read once: the info and the vision pairing both use it
        return LibraryEntry(path, source, read_only, name, read_gguf_info(path, header)), header
    except ModelFileError as e:
        return LibraryEntry(path, source, read_only, name, None, e.problem), None
