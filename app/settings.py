"""Versioned user settings, stored as JSON in the platformdirs config folder.

Each schema change bumps ``SCHEMA_VERSION`` and adds a step to ``_MIGRATIONS``
so older files upgrade in place. Environment variables ``WORKBENCH_<FIELD>``
override a stored value (e.g. ``WORKBENCH_THEME=dark``). Workbench collects no telemetry: there is no
setting for it because nothing is ever sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from app.paths import config_dir, models_dir

SCHEMA_VERSION = 2
THEMES = ("system", "light", "dark")
MAX_RECENT = 10


@dataclass
class Settings:
    models_dir: str = ""
    theme: str = "system"
    n_ctx: int = 4096
    n_gpu_layers: int = 0
    n_threads: int = 0  # 0 = physical cores
    recent_models: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.models_dir:
            self.models_dir = str(models_dir())
        if self.theme not in THEMES:
            self.theme = "system"

    def add_recent(self, path: str | Path) -> None:
        path = str(path)
        self.recent_models = [path] + [p for p in self.recent_models if p != path]
        del self.recent_models[MAX_RECENT:]


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 called the context size "context_length".
    data = dict(data)
    if "context_length" in data:
        data["n_ctx"] = data.pop("context_length")
    return data


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def settings_path() -> Path:
    return config_dir() / "settings.json"


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = int(data.pop("version", 1))
    while version < SCHEMA_VERSION:
        data = _MIGRATIONS[version](data)
        version += 1
    return data


def _apply_env(settings: Settings) -> Settings:
    for f in fields(Settings):
        value = os.environ.get(f"WORKBENCH_{f.name.upper()}")
        if value is None or f.name == "recent_models":
            continue
        try:
            setattr(settings, f.name, int(value) if f.type == "int" else value)
        except ValueError:
            continue  # a malformed override is ignored, not fatal
    settings.__post_init__()
    return settings


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing or unreadable file gives the defaults."""
    path = path or settings_path()
    try:
        data = _migrate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        data = {}
    known = {f.name for f in fields(Settings)}
    try:
        settings = Settings(**{k: v for k, v in data.items() if k in known})
    except TypeError:
        settings = Settings()
    return _apply_env(settings)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically so a crash never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": SCHEMA_VERSION, **asdict(settings)}, indent=2), encoding="utf-8")
    os.replace(tmp, path)
