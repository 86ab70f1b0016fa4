"""What the Runtimes page shows, gathered in one pass off the GUI thread.

Asking a runtime for its availability or devices can load native libraries
(libllama, CUDA, Metal), so ``gather_report`` runs in a worker; the page only
renders the plain data it returns. No Qt here.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runtimes.base import CancelToken, Device
from runtimes.registry import all_runtimes

# GPU backends a llama.cpp build can be compiled with, and the CMAKE_ARGS switch for each.
GPU_BACKENDS = (
    ("CUDA", "-DGGML_CUDA=on", "NVIDIA GPUs; needs the CUDA toolkit"),
    ("Metal", "-DGGML_METAL=on", "Apple silicon"),
    ("Vulkan", "-DGGML_VULKAN=on", "AMD, Intel and NVIDIA GPUs; needs the Vulkan SDK (glslc)"),
)
# How ggml's registry names each backend (Metal registers as "MTL" or "Metal").
_REGISTRY_NAMES = {"CUDA": ("CUDA",), "Metal": ("MTL", "Metal"), "Vulkan": ("Vulkan",)}


@dataclass(frozen=True)
class RuntimeRow:
    name: str
    available: bool
    reason: str
    capabilities: tuple[str, ...]
    devices: tuple[Device, ...]
    limited: str = ""  # available, but its main job cannot run now (the badge's text)


@dataclass(frozen=True)
class LlamaBuild:
    version: str
    gpu_offload: bool
    backends: tuple[str, ...]
    system_info: str  # llama_print_system_info(), e.g. "CPU : SSE3 = 1 | AVX = 1 | ..."

    @property
    def cpu_features(self) -> tuple[str, ...]:
        return cpu_features(self.system_info)

    def has_backend(self, name: str) -> bool:
        """``name`` is "CPU" or one of GPU_BACKENDS' names."""
        return any(b.startswith(n) for b in self.backends for n in _REGISTRY_NAMES.get(name, (name,)))


@dataclass(frozen=True)
class RuntimeReport:
    runtimes: tuple[RuntimeRow, ...]
    llama_build: LlamaBuild | None
    llama_build_error: str = ""


def gpu_build_command(cmake_flag: str, version: str | None, python: str = sys.executable) -> str:
    """The reinstall command from README "GPU builds", for this interpreter and version."""
    package = shlex.quote(f"llama-cpp-python=={version}" if version else "llama-cpp-python")
    # Two lines joined by a shell continuation, so it reads without odd wrapping and still pastes.
    pip = f"{shlex.quote(python)} -m pip install --force-reinstall --no-cache-dir {package}"
    return f'CMAKE_ARGS="{cmake_flag}" \\\n  {pip}'


def format_memory(n_bytes: int | None) -> str:
    return "unknown" if not n_bytes else f"{n_bytes / 2**30:.1f} GiB"


def cpu_features(system_info: str) -> tuple[str, ...]:
    """``"CPU : SSE3 = 1 | AVX = 0 | ..."`` -> ("SSE3",): only enabled features."""
    enabled = []
    for part in system_info.split("|"):
        name, sep, value = part.rpartition("=")
        name = name.split(":")[-1].strip()
        if sep and name and value.strip() not in ("", "0"):
            enabled.append(name)
    return tuple(enabled)


def describe_runtime(runtime) -> RuntimeRow:
    capabilities = tuple(sorted(c.value for c in runtime.capabilities))
    try:
        availability = runtime.availability()
        devices = tuple(runtime.devices()) if availability.ok else ()
    except Exception as exc:  # one broken runtime must not hide the others
        return RuntimeRow(runtime.name, False, f"query failed: {exc}", capabilities, ())
    limited = availability.limited or (_missing_voice(runtime.name) if availability.ok else "")
    return RuntimeRow(runtime.name, availability.ok, availability.reason, capabilities, devices, limited)


def _missing_voice(runtime_name: str) -> str:
    """A voice engine with no voice file downloaded cannot speak yet."""
    from app.settings import load_settings
    from models.errors import WorkbenchError
    from models.voice.tts_catalog import CATALOG, locate_voice

    voices = [v for v in CATALOG.values() if v.runtime == runtime_name]
    if not voices:
        return ""
    models_dir = Path(load_settings().models_dir)
    for voice in voices:
        try:
            locate_voice(voice.engine, models_dir)
            return ""
        except WorkbenchError:
            continue
    return "No voice yet"


def llama_build() -> tuple[LlamaBuild | None, str]:
    try:
        from runtimes.llama_cpp.backends import build_info

        info = build_info()
    except Exception as exc:  # no llama-cpp-python, or its library fails to load
        return None, str(exc)
    return LlamaBuild(info.version, info.gpu_offload, info.backends, info.system_info), ""


def gather_report(cancel: CancelToken) -> Iterator[RuntimeReport]:
    """Generator for ``ui.shell.workers.start_worker``: yields one report."""
    rows = []
    for runtime in all_runtimes():
        if cancel.cancelled:
            return
        rows.append(describe_runtime(runtime))
    build, error = llama_build()
    yield RuntimeReport(tuple(rows), build, error)
