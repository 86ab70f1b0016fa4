"""What the chat page can offer: text-generation runtimes that work here,
their devices, and the model files the user has (recent ones first).

Asking a runtime for its availability and devices imports its engine, and
finding models walks a folder, so this runs on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.hub.quants import is_mmproj
from runtimes.base import Capability, Device
from runtimes.registry import all_runtimes

MAX_FOUND_MODELS = 200  # a huge models folder must not flood the picker


@dataclass(frozen=True)
class RuntimeChoice:
    name: str
    devices: tuple[Device, ...]


@dataclass(frozen=True)
class Discovery:
    runtimes: list[RuntimeChoice] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # "name: reason" for runtimes that cannot run here
    models: list[Path] = field(default_factory=list)


def text_runtimes() -> tuple[list[RuntimeChoice], list[str]]:
    usable, unavailable = [], []
    for runtime in all_runtimes():
        if Capability.TEXT_GENERATION not in runtime.capabilities:
            continue
        availability = runtime.availability()
        if not availability.ok:
            unavailable.append(f"{runtime.name}: {availability.reason}")
            continue
        try:
            devices = tuple(runtime.devices())
        except Exception as exc:  # a broken device query makes the runtime unusable, not the page
            unavailable.append(f"{runtime.name}: could not list devices ({exc})")
            continue
        usable.append(RuntimeChoice(runtime.name, devices or (Device("cpu", "cpu", "CPU"),)))
    return usable, unavailable


def model_files(recent: list[str], models_dir: str) -> list[Path]:
    """Recent files that still exist, then *.gguf under ``models_dir``."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        if path not in seen and path.is_file() and not is_mmproj(path.name):  # projectors go with a model
            seen.add(path)
            found.append(path)

    for path in recent:
        add(Path(path))
    folder = Path(models_dir)
    try:
        for path in sorted(folder.rglob("*.gguf")):
            if len(found) >= MAX_FOUND_MODELS:
                break
            add(path)
    except OSError:
        pass  # an unreadable models folder just offers nothing from it
    return found


def discover(recent: list[str], models_dir: str) -> Discovery:
    runtimes, unavailable = text_runtimes()
    return Discovery(runtimes, unavailable, model_files(recent, models_dir))
