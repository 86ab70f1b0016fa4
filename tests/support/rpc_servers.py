"""Two loopback rpc-servers standing in for two helper machines (ports picked here)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.rpc.supervisor import RpcHost, RpcHostConfig
from runtimes.llama_cpp.native_build import find_tool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_rpc() -> None:
    """Skip unless llama.cpp's rpc-server is built and the binding's libggml has the RPC backend."""
    from runtimes.llama_cpp.rpc.devices import rpc_supported

    if find_tool("rpc-server") is None:
        pytest.skip("llama.cpp's rpc-server is not built (scripts/setup.sh builds it)")
    if not rpc_supported():
        pytest.skip("the llama.cpp libraries the binding loads have no RPC backend (GGML_RPC=ON)")


@contextmanager
def rpc_hosts(count: int, threads: int = 1) -> Iterator[list[RpcHost]]:
    hosts: list[RpcHost] = []
    try:
        for _ in range(count):
            host = RpcHost(RpcHostConfig(port=free_port(), threads=threads))
            hosts.append(host)
            host.start()
        yield hosts
    finally:
        for host in hosts:
            host.stop()
