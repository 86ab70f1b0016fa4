"""Two loopback rpc-servers standing in for two helper machines (ports picked here)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.rpc.supervisor import RpcHost, RpcHostConfig
from runtimes.events import Done, Token
from runtimes.llama_cpp.native_build import find_tool
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.registry import get_runtime
from runtimes.requests import Sampling, TextRequest

GREEDY = TextRequest(prompt="Once upon a time", sampling=Sampling(temperature=0, max_tokens=48))


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


def greedy_ids(model: Path, options: LlamaLoadOptions) -> tuple[list[int], dict]:
    """The token ids of 48 greedy tokens after GREEDY's prompt, and the session's info."""
    with get_runtime("llama.cpp").load(model, options) as session:
        events = list(session.run(GREEDY))
        assert isinstance(events[-1], Done), events[-1]
        return [e.token_id for e in events if isinstance(e, Token)], session.info
