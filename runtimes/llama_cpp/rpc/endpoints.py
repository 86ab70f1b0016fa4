"""RPC endpoints ("host:port", as llama.cpp's --rpc takes them), checked before llama.cpp sees them.

ggml-rpc aborts the whole process when it cannot connect, an unroutable address blocks in
connect() for the kernel's SYN timeout (minutes), and rpc-server serves one client at a time,
so a busy server accepts the connection and then never answers. A HELLO exchange with a
timeout, done here first, turns all three into a clear error within seconds.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable

from runtimes.errors import RpcEndpointError

DEFAULT_PORT = 50052  # rpc-server's default
CHECK_TIMEOUT_S = 3.0
# ggml-rpc's wire format: command byte, u64 size, payload. HELLO is pinned to 14 by
# llama.cpp ("must be always 14") so any version can say which protocol it speaks.
_RPC_CMD_HELLO = 14
_CONN_CAPS_SIZE = 24
PROTOCOL_MAJOR = 7  # RPC_PROTO_MAJOR_VERSION of the pinned llama.cpp


def split_endpoint(endpoint: str) -> tuple[str, int]:
    host, sep, port_text = endpoint.strip().partition(":")
    # ggml-rpc splits at the first colon, so IPv6 literals cannot be written here.
    if not sep or not host or ":" in port_text or any(c.isspace() for c in host):
        raise RpcEndpointError(f"bad RPC endpoint {endpoint!r}: write host:port, e.g. 192.168.1.20:{DEFAULT_PORT}")
    try:
        port = int(port_text)
    except ValueError:
        raise RpcEndpointError(f"bad RPC endpoint {endpoint!r}: the port must be a number") from None
    if not 1 <= port <= 65535:
        raise RpcEndpointError(f"bad RPC endpoint {endpoint!r}: the port must be 1-65535")
    return host, port


def parse_endpoints(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """"a:1,b:2" (or a list of such strings) -> ("a:1", "b:2"); empty -> ()."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else [p for item in value for p in item.split(",")]
    endpoints = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        host, port = split_endpoint(part)
        endpoint = f"{host}:{port}"
        if endpoint in endpoints:
            raise RpcEndpointError(f"RPC endpoint {endpoint} is listed twice")
        endpoints.append(endpoint)
    return tuple(endpoints)



def hello(endpoint: str, timeout: float = CHECK_TIMEOUT_S) -> tuple[int, int, int]:
    """Connect, say HELLO, return the server's protocol version; RpcEndpointError otherwise."""
    host, port = split_endpoint(endpoint)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack("<BQ", _RPC_CMD_HELLO, _CONN_CAPS_SIZE) + bytes(_CONN_CAPS_SIZE))
            header = _recv_exact(sock, 8)
            (size,) = struct.unpack("<Q", header)
            reply = _recv_exact(sock, size) if 3 <= size <= 64 else b""
    except TimeoutError:
        raise RpcEndpointError(
            f"RPC server {endpoint} did not answer within {timeout:g} s "
            "(unreachable, or busy: rpc-server serves one client at a time)"
        ) from None
    except OSError as exc:
        raise RpcEndpointError(f"cannot reach RPC server {endpoint}: {exc.strerror or exc}") from None
    if len(reply) < 3:
        raise RpcEndpointError(f"{endpoint} is not a llama.cpp rpc-server (unexpected HELLO reply)")
    version = (reply[0], reply[1], reply[2])
    if version[0] != PROTOCOL_MAJOR:
        raise RpcEndpointError(
            f"RPC server {endpoint} speaks protocol {'.'.join(map(str, version))}, this build needs "
            f"{PROTOCOL_MAJOR}.x: run the rpc-server of the same llama.cpp version"
        )
    return version


def check_endpoints(endpoints: Iterable[str], timeout: float = CHECK_TIMEOUT_S) -> None:
    for endpoint in endpoints:
        hello(endpoint, timeout)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError(104, "connection closed by the server")
        data += chunk
    return data
