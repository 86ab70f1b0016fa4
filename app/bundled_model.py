"""The model an installer may carry ("bundle your model"): one GGUF plus a
preset, so the app starts straight into a chat with it.

packaging/build.py --bundle-model M.gguf --preset P.json copies both into
``assets/bundled/`` (``preset.json`` names the GGUF, which sits next to it).
WORKBENCH_BUNDLE_DIR points at another such folder (tests, portable installs).
Qt-free: the UI applies the preset, this only finds and validates it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from models.errors import WorkbenchError
from runtimes.requests import Sampling

PRESET_NAME = "preset.json"
_SAMPLING_KEYS = {f.name for f in fields(Sampling)}


@dataclass(frozen=True)
class BundledModel:
    path: Path
    name: str
    system_prompt: str = ""
    sampling: Sampling = field(default_factory=Sampling)
    chat_template: str = ""  # a llama.cpp built-in name, "completion", or "" for the model's own


def parse_preset(data: dict[str, Any], folder: Path) -> BundledModel:
    """Preset: {"model": "file.gguf", "name"?, "system_prompt"?, "sampling"?: {...}, "chat_template"?}."""
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise WorkbenchError("bundled preset has no \"model\" file name")
    path = folder / Path(model).name  # only a name: the GGUF must sit next to the preset
    if not path.is_file():
        raise WorkbenchError(f"bundled model {path} is missing")
    sampling = data.get("sampling") or {}
    unknown = set(sampling) - _SAMPLING_KEYS
    if unknown:
        raise WorkbenchError(f"unknown sampling keys in bundled preset: {', '.join(sorted(unknown))}")
    return BundledModel(
        path=path,
        name=str(data.get("name") or path.stem),
        system_prompt=str(data.get("system_prompt") or ""),
        sampling=Sampling(**sampling),
        chat_template=str(data.get("chat_template") or ""),
    )


def bundle_dir() -> Path | None:
    override = os.environ.get("WORKBENCH_BUNDLE_DIR")
    if override:
        return Path(override)
    try:
        with as_file(files("assets").joinpath("bundled")) as folder:
            # A frozen bundle and a source tree both give a real folder, which outlives this block.
            return Path(folder) if Path(folder).is_dir() else None
    except (FileNotFoundError, OSError):
        return None


def find_bundled_model() -> BundledModel | None:
    """The bundled model, None if this build carries none; raises if it is broken."""
    folder = bundle_dir()
    if folder is None or not (folder / PRESET_NAME).is_file():
        return None
    try:
        data = json.loads((folder / PRESET_NAME).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise WorkbenchError(f"bundled preset {folder / PRESET_NAME} is not valid JSON: {exc}") from exc
    return parse_preset(data, folder)
