"""Read llama_get_memory_breakdown(ctx), a C++ function returning a std::map, through ctypes.

llama.cpp has no C form of it yet ("TODO: convert to C-style data structure" in
src/llama-ext.h), and llama-cpp-python does not bind it. Where the C++ ABI is known
(Linux x86-64 with libstdc++: the map comes back through a hidden pointer in the first
argument register, and its red-black tree has a fixed layout) this reads the map's
nodes: {buffer type, model, context, compute}. Anywhere else, or if the result does not
look like a map, it returns [] and memory_plan falls back to the log.
"""

from __future__ import annotations

import ctypes
import platform
import sys
from pathlib import Path

from runtimes.llama_cpp.memory.plan import BufferUse

_SYMBOL = "_Z26llama_get_memory_breakdownPK13llama_context"  # llama_get_memory_breakdown(const llama_context*)
_MAP_BYTES = 48  # libstdc++ std::map: compare, header node (color, parent, left, right), node count
_MAX_NODES = 64
_DEVICE_TYPE_CPU = 0  # GGML_BACKEND_DEVICE_TYPE_CPU


class _Node(ctypes.Structure):
    # _Rb_tree_node_base followed by pair<ggml_backend_buffer_type_t, llama_memory_breakdown_data>
    _fields_ = [("color", ctypes.c_int), ("parent", ctypes.c_void_p), ("left", ctypes.c_void_p),
                ("right", ctypes.c_void_p), ("buft", ctypes.c_void_p), ("model", ctypes.c_size_t),
                ("context", ctypes.c_size_t), ("compute", ctypes.c_size_t)]


def abi_supported() -> bool:
    return sys.platform.startswith("linux") and platform.machine().lower() in ("x86_64", "amd64")


def read_breakdown(ctx: ctypes.c_void_p) -> list[BufferUse]:
    """Bytes per buffer type for this context's model, KV cache and compute; [] where unreadable."""
    if not abi_supported():
        return []
    import llama_cpp.llama_cpp as binding

    try:
        fn = getattr(binding._lib, _SYMBOL)
    except AttributeError:
        return []
    fn.restype, fn.argtypes = None, [ctypes.c_void_p, ctypes.c_void_p]
    result = (ctypes.c_char * _MAP_BYTES)()  # left undestroyed: the subprocess ends right after
    fn(ctypes.addressof(result), ctx)
    root = ctypes.c_void_p.from_buffer(result, 16).value
    count = ctypes.c_size_t.from_buffer(result, 40).value
    if count > _MAX_NODES:
        return []
    name, is_host, in_ram = _ggml_functions()
    out, stack = [], [root] if root else []
    while stack:
        node = _Node.from_address(stack.pop())
        out.append(BufferUse(name(node.buft).decode(), bool(is_host(node.buft)), in_ram(node.buft),
                             int(node.model), int(node.context), int(node.compute)))
        stack += [p for p in (node.left, node.right) if p]
        if len(out) > count:
            return []  # not the tree we expected
    return out if len(out) == count else []


def _ggml_functions():
    import llama_cpp

    lib = ctypes.CDLL(str(next((Path(llama_cpp.__file__).parent / "lib").glob("libggml-base.so*"))))
    name, is_host = lib.ggml_backend_buft_name, lib.ggml_backend_buft_is_host
    device, dev_type = lib.ggml_backend_buft_get_device, lib.ggml_backend_dev_type
    name.restype, name.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
    is_host.restype, is_host.argtypes = ctypes.c_bool, [ctypes.c_void_p]
    device.restype, device.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
    dev_type.restype, dev_type.argtypes = ctypes.c_int, [ctypes.c_void_p]

    def in_ram(buft: int) -> bool:
        # The CPU's own buffer type has no device (a FIXME in llama.cpp); its extra ones have the CPU device.
        dev = device(buft)
        return bool(is_host(buft)) or not dev or dev_type(dev) == _DEVICE_TYPE_CPU

    return name, is_host, in_ram
