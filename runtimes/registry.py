"""Runtime registry. Runtimes register with ``@register_runtime``; the UI and
the CLI list runtimes only through ``all_runtimes()`` / ``get_runtime()``."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

from runtimes.base import Runtime
from runtimes.errors import UnknownModelKind, UnknownRuntime

_RUNTIMES: dict[str, Runtime] = {}

# Modules imported on first lookup; each registers its runtime at import.
# They must import cheaply: heavy engines are imported lazily inside them.
BUILTIN_MODULES = ("runtimes.llama_cpp.runtime", "runtimes.coreml.runtime", "runtimes.onnx.runtime",
                   "runtimes.tts.espeak.runtime", "runtimes.tts.kokoro.runtime", "runtimes.tts.piper.runtime",
                   "runtimes.whisper_cpp.runtime")
_builtins_loaded = False
_builtins_lock = threading.RLock()  # workers may look up runtimes from several threads at once


def register_runtime(cls: type[Runtime]) -> type[Runtime]:
    instance = cls()
    if not instance.name:
        raise ValueError(f"{cls.__name__} has no name")
    _RUNTIMES[instance.name] = instance
    return cls


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    with _builtins_lock:
        if not _builtins_loaded:
            for module in BUILTIN_MODULES:
                importlib.import_module(module)
            _builtins_loaded = True  # only once every module has registered


def all_runtimes() -> list[Runtime]:
    _load_builtins()
    return list(_RUNTIMES.values())


def get_runtime(name: str) -> Runtime:
    _load_builtins()
    try:
        return _RUNTIMES[name]
    except KeyError:
        raise UnknownRuntime(name, list(_RUNTIMES)) from None


def runtime_for(model: Path) -> Runtime:
    """The runtime that loads ``model``, judged by each runtime's ``claims``."""
    for runtime in all_runtimes():
        if runtime.claims(Path(model)):
            return runtime
    raise UnknownModelKind(str(model), {r.name: r.model_suffixes for r in all_runtimes()})
