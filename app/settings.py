"""Versioned user settings, stored as JSON in the platformdirs config folder.

Each schema change bumps ``SCHEMA_VERSION`` and adds a step to ``_MIGRATIONS``
so older files upgrade in place. Environment variables ``WORKBENCH_<FIELD>``
override a stored value for this run only (e.g. ``WORKBENCH_THEME=dark``):
saving writes the stored value back, unless the user changed that setting.
Workbench collects no telemetry: there is no setting for it because nothing
is ever sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from app.paths import config_dir, models_dir
from runtimes.errors import RpcEndpointError
from runtimes.llama_cpp.rpc.endpoints import parse_endpoints

SCHEMA_VERSION = 2
THEMES = ("system", "light", "dark")
MAX_RECENT = 10
# Smallest accepted value of each integer setting (0 = auto, -1 = all layers).
_INT_MINIMUM = {"n_ctx": 0, "n_gpu_layers": -1, "n_threads": 0}


@dataclass
class Settings:
    models_dir: str = ""
    theme: str = "system"
    n_ctx: int = 4096  # 0 = the model's training context
    n_gpu_layers: int = 0  # 0 = CPU only, -1 = all layers
    n_threads: int = 0  # 0 = physical cores
    recent_models: list[str] = field(default_factory=list)
    # Each model's prompt format in Chat (its saved preset): model path -> "" (the model's
    # own template), "completion" (no template) or a llama.cpp built-in template name.
    prompt_formats: dict[str, str] = field(default_factory=dict)
    # rpc-server endpoints ("host:port") whose devices join every model load (llama.cpp's --rpc).
    rpc_endpoints: list[str] = field(default_factory=list)
    # Fields the environment replaced: name -> (stored value, override value).
    env_overrides: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.models_dir:
            self.models_dir = str(models_dir())
        if self.theme not in THEMES:
            self.theme = "system"

    def add_recent(self, path: str | Path) -> None:
        path = str(path)
        self.recent_models = [path] + [p for p in self.recent_models if p != path]
        del self.recent_models[MAX_RECENT:]


STORED_FIELDS = tuple(f.name for f in fields(Settings) if f.name != "env_overrides")


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 called the context size "context_length".
    data = dict(data)
    if "context_length" in data:
        data["n_ctx"] = data.pop("context_length")
    return data


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def settings_path() -> Path:
    return config_dir() / "settings.json"


def _migrate(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("settings file does not hold a JSON object")
    data = dict(data)
    version = int(data.pop("version", 1))
    while version < SCHEMA_VERSION:
        data = _MIGRATIONS[version](data)
        version += 1
    return data


def _coerce(name: str, value: Any) -> Any:
    """Return ``value`` as a valid ``name`` setting, or raise ValueError."""
    if name in _INT_MINIMUM:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(name)
        number = int(value)
        if number < _INT_MINIMUM[name]:
            raise ValueError(name)
        return number
    if name == "theme":
        if value not in THEMES:
            raise ValueError(name)
        return value
    if name == "recent_models":
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise ValueError(name)
        return value[:MAX_RECENT]
    if name == "prompt_formats":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(name)
        return dict(value)
    if name == "rpc_endpoints":  # a list on disk, "a:1,b:2" from WORKBENCH_RPC_ENDPOINTS
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(e, str) for e in items):
            raise ValueError(name)
        try:
            return list(parse_endpoints(value))
        except RpcEndpointError:
            raise ValueError(name) from None
    if not isinstance(value, str):
        raise ValueError(name)
    return value


def _from_dict(data: dict[str, Any]) -> Settings:
    """A bad value drops only its own field back to the default."""
    valid = {}
    for name in STORED_FIELDS:
        if name in data:
            try:
                valid[name] = _coerce(name, data[name])
            except ValueError:
                continue
    return Settings(**valid)


def _apply_env(settings: Settings) -> Settings:
    for name in STORED_FIELDS:
        value = os.environ.get(f"WORKBENCH_{name.upper()}")
        if value is None or name in ("recent_models", "prompt_formats"):
            continue
        try:
            override = _coerce(name, value)
        except ValueError:
            continue  # a malformed override is ignored, not fatal
        settings.env_overrides[name] = (getattr(settings, name), override)
        setattr(settings, name, override)
    settings.__post_init__()
    return settings


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing or unreadable file gives the defaults."""
    path = path or settings_path()
    try:
        data = _migrate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        data = {}
    return _apply_env(_from_dict(data))


def to_json(settings: Settings) -> dict[str, Any]:
    """What is written to disk: environment overrides are not persisted."""
    data: dict[str, Any] = {"version": SCHEMA_VERSION}
    for name in STORED_FIELDS:
        value = getattr(settings, name)
        stored, override = settings.env_overrides.get(name, (None, None))
        data[name] = stored if name in settings.env_overrides and value == override else value
    return data


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically so a crash never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(to_json(settings), indent=2), encoding="utf-8")
    os.replace(tmp, path)
