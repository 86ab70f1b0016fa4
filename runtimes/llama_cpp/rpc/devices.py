"""Register rpc-server endpoints as ggml devices, as llama.cpp's own --rpc does.

common/arg.cpp's add_rpc_devices: find the "RPC" backend registry, get its
ggml_backend_rpc_add_server through get_proc_address, and register the registry it
returns for each endpoint. The remote devices (RPC0, RPC1, ...) then take part in
-ngl and --tensor-split like local GPUs, because llama_model_params.devices stays NULL
("all available devices"). ggml-rpc aborts the process on a connection failure, so
this runs only inside a model worker, or in the short-lived probe below.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from functools import cache

from runtimes.errors import RpcEndpointError
from runtimes.llama_cpp.rpc.endpoints import CHECK_TIMEOUT_S, check_endpoints, parse_endpoints
from runtimes.llama_cpp.rpc.layer_split import DeviceShare

PROBE_TIMEOUT_S = 20.0
_GPU, _IGPU = 1, 2  # enum ggml_backend_dev_type


@dataclass(frozen=True)
class RemoteDevice:
    name: str  # RPC0, RPC1, ... in registration order
    endpoint: str
    memory_free: int
    memory_total: int


@cache
def _ggml() -> ctypes.CDLL:
    """libggml with the backend-registry functions this module calls."""
    from runtimes.llama_cpp.backends import libggml

    lib = libggml()
    signatures = {
        "ggml_backend_reg_by_name": ([ctypes.c_char_p], ctypes.c_void_p),
        "ggml_backend_reg_get_proc_address": ([ctypes.c_void_p, ctypes.c_char_p], ctypes.c_void_p),
        "ggml_backend_register": ([ctypes.c_void_p], None),
        "ggml_backend_reg_dev_count": ([ctypes.c_void_p], ctypes.c_size_t),
        "ggml_backend_reg_dev_get": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_void_p),
        "ggml_backend_dev_name": ([ctypes.c_void_p], ctypes.c_char_p),
        "ggml_backend_dev_description": ([ctypes.c_void_p], ctypes.c_char_p),
        "ggml_backend_dev_count": ([], ctypes.c_size_t),
        "ggml_backend_dev_get": ([ctypes.c_size_t], ctypes.c_void_p),
        "ggml_backend_dev_type": ([ctypes.c_void_p], ctypes.c_int),
        "ggml_backend_dev_backend_reg": ([ctypes.c_void_p], ctypes.c_void_p),
        "ggml_backend_reg_name": ([ctypes.c_void_p], ctypes.c_char_p),
        "ggml_backend_dev_memory": (
            [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t)], None),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = argtypes, restype
    return lib


def rpc_supported() -> bool:
    try:
        return bool(_ggml().ggml_backend_reg_by_name(b"RPC"))
    except (ImportError, OSError):
        return False


_ADD_SERVER = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_char_p)
_registered: dict[str, list[RemoteDevice]] = {}


def add_rpc_servers(endpoints: tuple[str, ...], timeout: float = CHECK_TIMEOUT_S) -> list[RemoteDevice]:
    """Register each endpoint's devices with ggml (once per process); returns them in order."""
    lib = _ggml()
    reg = lib.ggml_backend_reg_by_name(b"RPC")
    if not reg:
        raise RpcEndpointError("this llama.cpp build has no RPC backend (build it with -DGGML_RPC=ON)")
    address = lib.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_rpc_add_server")
    if not address:
        raise RpcEndpointError("this llama.cpp build's RPC backend has no ggml_backend_rpc_add_server")
    add_server = _ADD_SERVER(address)
    check_endpoints([e for e in endpoints if e not in _registered], timeout)  # fail fast, never abort
    devices: list[RemoteDevice] = []
    for endpoint in endpoints:
        if endpoint not in _registered:
            server_reg = add_server(endpoint.encode())
            if not server_reg:
                raise RpcEndpointError(f"RPC server {endpoint} offers no devices")
            lib.ggml_backend_register(server_reg)
            _registered[endpoint] = [_describe(lib, lib.ggml_backend_reg_dev_get(server_reg, i), endpoint)
                                     for i in range(lib.ggml_backend_reg_dev_count(server_reg))]
        devices += _registered[endpoint]
    return devices


def offload_devices() -> list[DeviceShare]:
    """The devices llama.cpp offloads to, in its order: RPC first, then discrete GPUs
    (integrated ones only when there is no discrete GPU), as src/llama.cpp lists them."""
    lib = _ggml()
    rpc, gpus, igpus = [], [], []
    for index in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(index)
        kind = lib.ggml_backend_dev_type(dev)
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        share = DeviceShare(lib.ggml_backend_dev_name(dev).decode(), free.value)
        if kind == _GPU and lib.ggml_backend_reg_name(lib.ggml_backend_dev_backend_reg(dev)) == b"RPC":
            rpc.append(share)
        elif kind == _GPU:
            gpus.append(share)
        elif kind == _IGPU:
            igpus.append(share)
    return rpc + gpus + (igpus if not gpus else [])


def _describe(lib: ctypes.CDLL, dev: int, endpoint: str) -> RemoteDevice:
    free, total = ctypes.c_size_t(), ctypes.c_size_t()
    lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
    return RemoteDevice(lib.ggml_backend_dev_name(dev).decode(), endpoint, free.value, total.value)


def probe(endpoints: tuple[str, ...], timeout: float = PROBE_TIMEOUT_S) -> list[RemoteDevice]:
    """The endpoints' devices with their free memory, asked from a throwaway process
    (ggml-rpc may abort or block; this returns or raises within ``timeout``)."""
    endpoints = parse_endpoints(endpoints)
    check_endpoints(endpoints)
    command = [sys.executable, "-m", "runtimes.llama_cpp.rpc.devices", *endpoints]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RpcEndpointError(f"listing the devices of {', '.join(endpoints)} took over {timeout:g} s") from None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RpcEndpointError(f"listing the devices of {', '.join(endpoints)} failed: {tail}")
    return [RemoteDevice(**row) for row in json.loads(lines[-1])]


def main(argv: list[str]) -> int:
    try:
        devices = add_rpc_servers(parse_endpoints(argv))
    except RpcEndpointError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps([asdict(d) for d in devices]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
