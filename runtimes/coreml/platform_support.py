"""Where Core ML predictions can run, and on which compute units.

Core ML itself is a macOS framework: coremltools builds, saves and inspects
models everywhere, but its prediction library (libcoremlpython) ships only in
the macOS wheels. Every answer here says why when the answer is no.
"""

from __future__ import annotations

import platform
import sys

from runtimes.base import Availability, Device
from runtimes.coreml.ct_import import INSTALL_HINT, coremltools_version, import_coremltools

# coremltools.ComputeUnit names, in the order the bench runs them: the CPU
# baseline first, so the others read as "what the GPU / Neural Engine buys".
COMPUTE_UNITS = ("CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE", "ALL")
_DESCRIPTIONS = {
    "CPU_ONLY": ("cpu", "CPU only"),
    "CPU_AND_GPU": ("gpu", "CPU and GPU (no Neural Engine)"),
    "CPU_AND_NE": ("ane", "CPU and Neural Engine (no GPU)"),
    "ALL": ("all", "CPU, GPU and Neural Engine: Core ML chooses per layer"),
}


def _os_name() -> str:
    return {"linux": "Linux", "win32": "Windows"}.get(sys.platform, platform.system() or sys.platform)


def macos_version() -> tuple[int, ...]:
    """(14, 4, 1) on macOS, () elsewhere."""
    text = platform.mac_ver()[0] if sys.platform == "darwin" else ""
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def prediction_support() -> Availability:
    """Whether Core ML predictions can run in this process, with the reason."""
    version = coremltools_version()
    if version is None:
        return Availability.no(f"coremltools is not installed; {INSTALL_HINT}")
    if sys.platform != "darwin":
        return Availability.no(
            f"Core ML predictions need macOS; this is {_os_name()} — inspection and conversion work"
            f" (coremltools {version})"
        )
    try:
        import_coremltools()  # first, so its own warnings about the library go through our filter
        from coremltools import libcoremlpython  # noqa: F401 (the macOS-only prediction library)
    except ImportError as exc:
        return Availability.no(
            f"coremltools {version} has no prediction library for this Python/macOS ({exc});"
            " inspection and conversion work"
        )
    mac = ".".join(map(str, macos_version())) or "unknown"
    return Availability.yes(f"coremltools {version} on macOS {mac}")


def compute_unit_devices() -> list[Device]:
    """The four compute units; unusable ones say why."""
    support = prediction_support()
    if not support.ok:
        return [_device(name, False, support.reason) for name in COMPUTE_UNITS]
    ane_cores = _neural_engine_cores()
    devices = []
    for name in COMPUTE_UNITS:
        if name == "CPU_AND_NE" and macos_version() < (13,):
            devices.append(_device(name, False, "CPU_AND_NE needs macOS 13 or later"))
        elif name == "CPU_AND_NE" and ane_cores is not None:
            # Without a Neural Engine (Intel Macs) Core ML still accepts the
            # setting and runs on the CPU: say so instead of hiding it.
            note = f"{ane_cores}-core Neural Engine" if ane_cores else "no Neural Engine found: runs on the CPU"
            devices.append(_device(name, True, "", note))
        else:
            devices.append(_device(name, True, ""))
    return devices


def _neural_engine_cores() -> int | None:
    """Neural Engine cores (0: none), or None where Core ML cannot tell (before macOS 14.4)."""
    try:
        from coremltools.models.compute_device import MLComputeDevice

        devices = MLComputeDevice.get_all_compute_devices()
    except Exception:  # older macOS has no MLComputeDevice API: unknown, not "none"
        return None
    engines = [d for d in devices if "NeuralEngine" in type(d).__name__]
    return sum(d.total_core_count for d in engines)


def _device(name: str, available: bool, reason: str, note: str = "") -> Device:
    kind, description = _DESCRIPTIONS[name]
    if note:
        description = f"{description}; {note}"
    return Device(id=name, kind=kind, description=description, available=available, reason=reason)
