"""What the installed llama.cpp build can run on.

Asks ggml's backend registry (the same one llama-bench's "backends" column
reads) instead of assuming: a CPU wheel lists only CPU, a CUDA build adds
CUDA0..N, a Metal build MTL0, a Vulkan build Vulkan0..N.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cache

from runtimes.base import Device

_DEVICE_KINDS = {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel"}


@dataclass(frozen=True)
class BuildInfo:
    version: str
    gpu_offload: bool
    backends: tuple[str, ...]  # e.g. ("CPU",) or ("CUDA", "CPU")
    system_info: str


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    lib.ggml_backend_dev_count.restype = ctypes.c_size_t
    lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_dev_get.restype = ctypes.c_void_p
    for name in ("ggml_backend_dev_name", "ggml_backend_dev_description"):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
        getattr(lib, name).restype = ctypes.c_char_p
    lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_type.restype = ctypes.c_int
    lib.ggml_backend_dev_memory.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_size_t),
        ctypes.POINTER(ctypes.c_size_t),
    ]
    lib.ggml_backend_reg_count.restype = ctypes.c_size_t
    lib.ggml_backend_reg_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_reg_get.restype = ctypes.c_void_p
    lib.ggml_backend_reg_name.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_reg_name.restype = ctypes.c_char_p
    return lib


@cache
def _ggml() -> ctypes.CDLL:
    return _bind(libggml())


def libggml() -> ctypes.CDLL:
    """The libggml that libllama links to: the one next to it, also when LLAMA_CPP_LIB_PATH points the
    binding at another build (llama_cpp._ggml would load the package's own copy, a second registry)."""
    from llama_cpp import llama_cpp as binding  # loads libllama, which registers the backends
    from llama_cpp._ctypes_extensions import load_shared_library

    return load_shared_library("ggml", binding._base_path)


def device_kind(name: str, type_code: int) -> str:
    """Map a ggml device to a kind the UI groups by."""
    for prefix, kind in (("CUDA", "cuda"), ("MTL", "metal"), ("Metal", "metal"), ("Vulkan", "vulkan")):
        if name.startswith(prefix):
            return kind
    return _DEVICE_KINDS.get(type_code, "other")


def list_devices() -> list[Device]:
    lib = _ggml()
    devices = []
    for index in range(lib.ggml_backend_dev_count()):
        handle = lib.ggml_backend_dev_get(index)
        name = lib.ggml_backend_dev_name(handle).decode()
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        lib.ggml_backend_dev_memory(handle, ctypes.byref(free), ctypes.byref(total))
        devices.append(
            Device(
                id=name.lower(),
                kind=device_kind(name, lib.ggml_backend_dev_type(handle)),
                description=lib.ggml_backend_dev_description(handle).decode(errors="replace"),
                memory_total=total.value or None,
                memory_free=free.value or None,
            )
        )
    return devices


@cache
def build_info() -> BuildInfo:
    import llama_cpp

    lib = _ggml()
    names = tuple(
        lib.ggml_backend_reg_name(lib.ggml_backend_reg_get(i)).decode()
        for i in range(lib.ggml_backend_reg_count())
    )
    return BuildInfo(
        version=llama_cpp.__version__,
        gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
        backends=names,
        system_info=llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
    )
