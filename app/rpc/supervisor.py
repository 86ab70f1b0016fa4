"""Run llama.cpp's rpc-server as a supervised child process (``workbench rpc-host``).

The server itself is llama.cpp's; this starts it, waits until it answers a HELLO,
lists its devices through a client probe, and reports its exit with the log tail.
It binds to loopback unless the caller confirms otherwise, because the RPC protocol
has no authentication at all.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from app.errors import RpcHostError
from app.tool_process import stop_process
from runtimes.child_process import popen
from runtimes.errors import RpcEndpointError
from runtimes.llama_cpp.native_build import find_tool, missing_tool_message
from runtimes.llama_cpp.rpc.devices import RemoteDevice, probe
from runtimes.llama_cpp.rpc.endpoints import DEFAULT_PORT, hello
from runtimes.network import is_loopback
from runtimes.worker.exit_reason import describe_exit, read_log_tail

READY_TIMEOUT_S = 15.0
# What llama.cpp's tools/rpc/README.md says, in its words.
UNAUTHENTICATED_WARNING = (
    "llama.cpp's RPC server has no authentication and no encryption: anyone who can reach "
    "{endpoint} can run computations and read or write its memory. llama.cpp's docs: "
    "\"Never run the RPC server on an open network or in a sensitive environment!\" "
    "Bind it only to a network you fully trust."
)


@dataclass(frozen=True)
class RpcHostConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    devices: tuple[str, ...] = ()  # rpc-server -d; empty: all accelerators, else the CPU
    threads: int | None = None
    cache: bool = False  # rpc-server -c: keep large tensors in a local file cache
    allow_network: bool = False  # the explicit confirmation a non-loopback bind needs

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def check_bind(self) -> str | None:
        """None on loopback; the warning to show when the user confirmed another address."""
        if is_loopback(self.host):
            return None
        warning = UNAUTHENTICATED_WARNING.format(endpoint=self.endpoint)
        if not self.allow_network:
            raise RpcHostError(f"refusing to bind {self.host}: {warning} "
                               "To do it anyway, confirm with --allow-network.")
        return warning

    def command(self, tool: Path) -> list[str]:
        command = [str(tool), "--host", self.host, "--port", str(self.port)]
        if self.devices:
            command += ["--device", ",".join(self.devices)]
        if self.threads:
            command += ["--threads", str(self.threads)]
        if self.cache:
            command.append("--cache")
        return command


class RpcHost:
    def __init__(self, config: RpcHostConfig, tool: Path | None = None) -> None:
        self.config = config
        self.warning = config.check_bind()  # refuses before anything starts
        self.tool = tool or find_tool("rpc-server")
        if self.tool is None:
            raise RpcHostError(missing_tool_message("rpc-host", "rpc-server"))
        self.process: subprocess.Popen[bytes] | None = None
        self.devices: list[RemoteDevice] = []
        fd, name = tempfile.mkstemp(prefix="workbench-rpc-server-", suffix=".log")
        self.log_path = Path(name)
        self._log = open(fd, "ab")  # noqa: SIM115  (kept open while the child writes)

    @property
    def local_endpoint(self) -> str:
        """Where this machine reaches the server (a wildcard bind is reached on loopback)."""
        host = "127.0.0.1" if self.config.host in ("0.0.0.0", "::") else self.config.host
        return f"{host}:{self.config.port}"

    def start(self, timeout: float = READY_TIMEOUT_S) -> list[RemoteDevice]:
        _check_port_free(self.config.host, self.config.port)  # else a HELLO would reach the other server
        self.process = popen(self.config.command(self.tool), stdout=self._log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            self._raise_if_exited("rpc-server did not start")
            try:
                hello(self.local_endpoint, timeout=1.0)
                break
            except RpcEndpointError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RpcHostError(
                        f"rpc-server did not answer on {self.config.endpoint} within {timeout:g} s") from None
                time.sleep(0.1)
        try:
            self.devices = probe((self.local_endpoint,))
        except RpcEndpointError:
            self.stop()
            raise
        return self.devices

    def client_endpoint(self) -> str:
        """What the main machine passes to --rpc."""
        if self.config.host in ("0.0.0.0", "::"):
            return f"<this machine's address>:{self.config.port}"
        return self.config.endpoint

    def _raise_if_exited(self, what: str) -> None:
        code = self.process.poll() if self.process else None
        if code is not None:
            tail = read_log_tail(self.log_path, 5)
            detail = f"; last log: {tail[-1]}" if tail else ""
            raise RpcHostError(f"{what} ({describe_exit(code)}){detail}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, poll_s: float = 0.5) -> None:
        """Block until the server exits; raises RpcHostError saying why (Ctrl+C propagates)."""
        while self.running():
            time.sleep(poll_s)
        self._raise_if_exited("rpc-server stopped")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self._log.close()
        self.log_path.unlink(missing_ok=True)

    def log_tail(self, n_lines: int = 20) -> list[str]:
        return read_log_tail(self.log_path, n_lines)


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as rpc-server binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise RpcHostError(f"cannot bind {host}:{port}: {exc.strerror or exc} (another rpc-server?)") from None
