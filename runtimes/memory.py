"""Memory of a process as the OS sees it: RSS via psutil, VRAM via NVML."""

from __future__ import annotations

import os
import sys

import psutil


def process_rss(pid: int | None = None) -> int:
    try:
        return psutil.Process(pid or os.getpid()).memory_info().rss
    except psutil.Error:
        return 0


def own_peak_rss() -> int:
    """Peak resident set size of this process, in bytes."""
    if sys.platform == "win32":
        return psutil.Process().memory_info().peak_wset
    if sys.platform.startswith("linux"):
        # VmHWM starts afresh at exec; ru_maxrss does not: a worker spawned by a
        # 400 MiB GUI process would report 400 MiB before loading anything.
        hwm = _status_kib("VmHWM")
        if hwm is not None:
            return hwm * 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak if sys.platform == "darwin" else peak * 1024


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


_nvml_state: dict[str, bool] = {}


def _nvml():
    """pynvml, initialised once per process; None without NVML or a GPU."""
    try:
        import pynvml
    except ImportError:
        return None
    if "ok" not in _nvml_state:
        try:
            pynvml.nvmlInit()
            _nvml_state["ok"] = True
        except pynvml.NVMLError:
            _nvml_state["ok"] = False
    return pynvml if _nvml_state["ok"] else None


def process_vram(pid: int | None = None) -> int | None:
    """VRAM used by ``pid`` on all NVIDIA GPUs, or None without NVML/GPU.

    NVML matches by PID, so inside a container with its own PID namespace the
    figure may be missing.
    """
    pynvml = _nvml()
    if pynvml is None:
        return None
    pid = pid or os.getpid()
    try:
        total, found = 0, False
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                if proc.pid == pid and proc.usedGpuMemory is not None:
                    total += proc.usedGpuMemory
                    found = True
        return total if found else None
    except pynvml.NVMLError:
        return None
