"""RPC endpoint parsing and the bounded HELLO check, against stand-in servers (no llama.cpp needed)."""

from __future__ import annotations

import argparse
import socket
import struct
import threading
import time

import pytest

from app.cli.load_args import add_load_args, load_options
from runtimes.errors import RpcEndpointError
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.rpc.endpoints import hello, parse_endpoints
from runtimes.network import is_loopback


def test_parse_endpoints_normalizes_and_rejects_bad_input():
    assert parse_endpoints(" 10.0.0.2:50052 , box.lan:1") == ("10.0.0.2:50052", "box.lan:1")
    assert parse_endpoints(["a:1", "b:2,c:3"]) == ("a:1", "b:2", "c:3")
    assert parse_endpoints("") == () and parse_endpoints(None) == ()
    for bad in ("10.0.0.2", ":50052", "host:port", "host:0", "host:70000", "a:1,a:1", "::1:50052"):
        with pytest.raises(RpcEndpointError):
            parse_endpoints(bad)


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("127.8.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.lan")


def test_cli_load_flags_reach_the_options():
    parser = argparse.ArgumentParser()
    add_load_args(parser)
    args = parser.parse_args(["--rpc", "127.0.0.1:5001,127.0.0.1:5002", "-ts", "3,1", "-nr", "-ngl", "99"])
    options = load_options(args)
    assert options.rpc == ("127.0.0.1:5001", "127.0.0.1:5002")
    assert options.tensor_split == (3.0, 1.0) and options.repack is False
    assert options.stall_timeout_s == options.rpc_timeout_s
    assert load_options(parser.parse_args([])).stall_timeout_s is None  # local runs have no watchdog
    with pytest.raises(SystemExit):
        parser.parse_args(["--rpc", "nohostport"])
    with pytest.raises(ValueError, match="tensor_split"):
        LlamaLoadOptions(tensor_split=(0.0, 0.0))


class FakeServer:
    """Listens on a free loopback port; ``reply`` decides what it sends after reading a HELLO."""

    def __init__(self, reply: bytes | None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.endpoint = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.reply = reply
        self.received = b""
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            self.received = conn.recv(64)
            if self.reply is None:
                time.sleep(5)  # busy: accepted, never answers
            else:
                conn.sendall(self.reply)


def _hello_reply(major: int, minor: int = 0, patch: int = 0) -> bytes:
    body = bytes([major, minor, patch, 0]) + bytes(24)
    return struct.pack("<Q", len(body)) + body


def test_hello_reads_the_protocol_version():
    server = FakeServer(_hello_reply(7, 0, 3))
    assert hello(server.endpoint) == (7, 0, 3)
    assert server.received[0] == 14 and struct.unpack("<Q", server.received[1:9])[0] == 24


def test_hello_rejects_another_protocol_and_non_rpc_servers():
    with pytest.raises(RpcEndpointError, match="protocol 6.1.0"):
        hello(FakeServer(_hello_reply(6, 1)).endpoint)
    with pytest.raises(RpcEndpointError, match="not a llama.cpp rpc-server|cannot reach"):
        hello(FakeServer(b"HTTP/1.1 400 Bad Request\r\n\r\n").endpoint)


def test_a_busy_server_times_out_and_a_closed_port_fails_at_once():
    started = time.monotonic()
    with pytest.raises(RpcEndpointError, match="did not answer within 0.5 s"):
        hello(FakeServer(None).endpoint, timeout=0.5)
    assert time.monotonic() - started < 2
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        started = time.monotonic()
        with pytest.raises(RpcEndpointError, match="cannot reach"):
            hello(f"127.0.0.1:{port}")
    assert time.monotonic() - started < 1
