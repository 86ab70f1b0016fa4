"""What the installed pywhispercpp build offers: version, ggml backends, devices.

whisper.cpp reports its build in ``whisper_print_system_info()``:
``WHISPER : COREML = 0 | OPENVINO = 0 | CPU : SSE3 = 1 | AVX2 = 1 | ...``, one
section per ggml backend that lists features (CPU, CUDA, Vulkan...). The
backend libraries shipped in the wheel are a second witness, since not every
GPU backend lists features.
"""

from __future__ import annotations

import importlib.metadata
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from runtimes.base import Device

# ggml backend names (as sections or as libggml-<name> files) that run on a GPU.
GPU_BACKENDS = {"cuda": "cuda", "metal": "metal", "mtl": "metal", "vulkan": "vulkan", "hip": "rocm",
                "sycl": "sycl", "opencl": "opencl", "musa": "musa", "cann": "cann"}


@dataclass(frozen=True)
class BuildInfo:
    version: str
    system_info: str
    sections: dict[str, dict[str, str]]  # backend -> feature -> value
    gpu_backends: tuple[str, ...]  # GPU_BACKENDS kinds found, e.g. ("cuda",)

    @property
    def coreml(self) -> bool:
        return self.sections.get("WHISPER", {}).get("COREML") == "1"

    @property
    def cpu_features(self) -> list[str]:
        return [name for name, value in self.sections.get("CPU", {}).items() if value == "1"]


def parse_system_info(text: str) -> dict[str, dict[str, str]]:
    """``"A : X = 1 | Y = 0 | B : Z = 1 |"`` -> {"A": {"X": "1", "Y": "0"}, "B": {"Z": "1"}}."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for part in text.split("|"):
        part = part.strip()
        if not part:
            continue
        if " : " in part:  # "CPU : SSE3 = 1" opens a section
            name, part = (s.strip() for s in part.split(" : ", 1))
            current = sections.setdefault(name, {})
        if current is not None and "=" in part:
            key, value = (s.strip() for s in part.split("=", 1))
            current[key] = value
    return sections


def _library_backends() -> set[str]:
    """GPU backends whose libggml-<name> library ships with the wheel."""
    import _pywhispercpp

    here = Path(_pywhispercpp.__file__).parent
    folders = [here / "pywhispercpp.libs", here / "pywhispercpp" / ".dylibs", here / "pywhispercpp", here]
    found = set()
    for folder in folders:
        for lib in folder.glob("*ggml-*") if folder.is_dir() else ():
            name = lib.name.split("ggml-", 1)[1].split(".")[0].split("-")[0].lower()
            if name in GPU_BACKENDS:
                found.add(GPU_BACKENDS[name])
    return found


@lru_cache(maxsize=1)
def build_info() -> BuildInfo:
    """Raises ImportError/OSError when pywhispercpp cannot be loaded."""
    import _pywhispercpp as pw

    text = pw.whisper_print_system_info()
    sections = parse_system_info(text)
    kinds = {GPU_BACKENDS[name.lower()] for name in sections if name.lower() in GPU_BACKENDS}
    kinds |= _library_backends()
    return BuildInfo(importlib.metadata.version("pywhispercpp"), text, sections, tuple(sorted(kinds)))


def list_devices() -> list[Device]:
    info = build_info()
    features = ", ".join(info.cpu_features) or "no SIMD features reported"
    devices = [Device("cpu", "cpu", f"CPU ({features})")]
    if info.gpu_backends:
        # whisper.cpp takes a GPU index (gpu:N) but does not say how many there are.
        kinds = ", ".join(info.gpu_backends)
        devices.append(Device("gpu", info.gpu_backends[0], f"whisper.cpp {kinds} backend (gpu:N picks GPU N)"))
    else:
        devices.append(Device("gpu", "gpu", "whisper.cpp GPU backend", available=False, reason=_no_gpu_reason()))
    if info.coreml:
        devices.append(Device("ane", "ane", "Core ML encoder: needs ggml-<model>-encoder.mlmodelc beside the model"))
    return devices


def _no_gpu_reason() -> str:
    flag = "GGML_METAL=1" if sys.platform == "darwin" else "GGML_CUDA=1 (or GGML_VULKAN=1)"
    return (f"this pywhispercpp {build_info().version} build is CPU-only; reinstall it from source with "
            f"{flag} set to use a GPU")
