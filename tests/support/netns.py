"""rpc-servers in network namespaces of their own, reached over veth pairs.

Loopback stand-ins (rpc_servers.py) never leave the kernel's ``lo``; here each server lives in its
own namespace (``ip netns add``), joined to the test's namespace by a veth pair on a /30 of its own,
so RPC traffic crosses a real interface and shows up in that interface's byte counters.
Needs root (CAP_NET_ADMIN); skips only when not root or when a namespace cannot be created.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.rpc.supervisor import READY_TIMEOUT_S, RpcHostConfig
from app.tool_process import stop_process
from runtimes.llama_cpp.native_build import find_tool
from runtimes.llama_cpp.rpc.endpoints import DEFAULT_PORT, RpcEndpointError, hello
from runtimes.worker.exit_reason import read_log_tail

IP = shutil.which("ip") or "/usr/sbin/ip"


class NetnsError(RuntimeError):
    """An ``ip`` command failed; carries its stderr."""


@dataclass(frozen=True)
class VethCounters:
    tx_bytes: int  # the test's namespace to the server
    rx_bytes: int  # the server back to the test's namespace

    def __sub__(self, other: VethCounters) -> VethCounters:
        return VethCounters(self.tx_bytes - other.tx_bytes, self.rx_bytes - other.rx_bytes)


@dataclass(frozen=True)
class NamespacedServer:
    namespace: str
    veth: str  # the test's end of the pair
    address: str  # the server's end, inside its namespace
    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"

    def counters(self) -> VethCounters:
        stats = Path("/sys/class/net") / self.veth / "statistics"
        return VethCounters(int((stats / "tx_bytes").read_text()), int((stats / "rx_bytes").read_text()))


def _ip(*args: str) -> None:
    result = subprocess.run([IP, *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {result.stderr.strip() or f'exit {result.returncode}'}")


def require_netns() -> None:
    """Skip unless this process may create network namespaces (root, with ``ip`` installed)."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (CAP_NET_ADMIN); CI runs as root")
    if not Path(IP).exists():
        pytest.skip("iproute2's ip is not installed")


def _free_subnet() -> str:
    """'10.A.B' for a /24 that no address or route of this namespace uses (random: unique per run)."""
    in_use = subprocess.run([IP, "-4", "-o", "addr"], capture_output=True, text=True).stdout
    in_use += subprocess.run([IP, "-4", "route"], capture_output=True, text=True).stdout
    for _ in range(100):
        prefix = f"10.{random.randint(200, 254)}.{random.randint(0, 255)}"
        if f"{prefix}." not in in_use:
            return prefix
    raise NetnsError("no free 10.x.y.0/24 for the test's veth pairs")


def _add_namespace(stack: ExitStack, name: str) -> None:
    try:
        _ip("netns", "add", name)
    except NetnsError as exc:
        pytest.skip(f"cannot create a network namespace: {exc}")
    stack.callback(_ip_quietly, "netns", "delete", name)


def _link_namespace(stack: ExitStack, name: str, veth: str, local: str, remote: str) -> None:
    """A veth pair: ``veth`` here at ``local``/30, its peer in ``name`` at ``remote``/30."""
    peer = veth[:-1] + "p"
    _ip("link", "add", veth, "type", "veth", "peer", "name", peer, "netns", name)
    stack.callback(_ip_quietly, "link", "delete", veth)  # takes the peer with it
    _ip("addr", "add", f"{local}/30", "dev", veth)
    _ip("link", "set", veth, "up")
    _ip("-n", name, "addr", "add", f"{remote}/30", "dev", peer)
    _ip("-n", name, "link", "set", peer, "up")
    _ip("-n", name, "link", "set", "lo", "up")


def _ip_quietly(*args: str) -> None:
    subprocess.run([IP, *args], capture_output=True, timeout=30)


def _start_server(stack: ExitStack, namespace: str, address: str, port: int, threads: int) -> subprocess.Popen:
    """rpc-server with RpcHost's own argv, run inside ``namespace``; returns once it answers a HELLO."""
    tool = find_tool("rpc-server")
    log = stack.enter_context(tempfile.NamedTemporaryFile(prefix="workbench-netns-rpc-", suffix=".log"))
    argv = RpcHostConfig(host=address, port=port, threads=threads, allow_network=True).command(tool)
    process = subprocess.Popen([IP, "netns", "exec", namespace, *argv], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    stack.callback(stop_process, process)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise NetnsError(f"rpc-server in {namespace} exited {process.returncode}: "
                             f"{read_log_tail(Path(log.name), 5)}")
        try:
            hello(f"{address}:{port}", timeout=1.0)
            return process
        except RpcEndpointError:
            if time.monotonic() > deadline:
                raise NetnsError(f"rpc-server in {namespace} did not answer on {address}:{port}") from None
            time.sleep(0.1)


@contextmanager
def namespaced_rpc_servers(count: int, threads: int = 1) -> Iterator[list[NamespacedServer]]:
    """``count`` rpc-servers, each in a fresh namespace behind its own veth pair; all removed on exit."""
    require_netns()
    token = secrets.token_hex(3)  # names unique per run; interface names stay under 15 characters
    subnet = _free_subnet()
    with ExitStack() as stack:
        servers = []
        for i in range(count):
            namespace, veth = f"wb-rpc-{token}-{i}", f"wbv{token}{i}h"
            local, remote = f"{subnet}.{4 * i + 1}", f"{subnet}.{4 * i + 2}"
            _add_namespace(stack, namespace)
            _link_namespace(stack, namespace, veth, local, remote)
            # every namespace has its own ports, so all servers can take llama.cpp's default
            process = _start_server(stack, namespace, remote, DEFAULT_PORT, threads)
            servers.append(NamespacedServer(namespace, veth, remote, DEFAULT_PORT, process))
        yield servers
