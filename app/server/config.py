"""What `workbench serve` and the Server page start llama-server with, and the safe defaults:
loopback unless told otherwise (then a warning), a key always (no key, no access), CORS off,
a request-size limit."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

from runtimes.network import is_loopback

KEY_ENV = "WORKBENCH_API_KEY"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1234
# Request bodies: llama-server has no flag for a limit; cpp-httplib's compiled-in 100 MiB applies.
# No browser origin equals this (.invalid never resolves), so cross-origin pages are refused: CORS off.
CORS_OFF_ORIGIN = "https://cors-disabled.invalid"


@dataclass(frozen=True)
class ServeConfig:
    api_key: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    parallel: int = 4
    ctx: int = 8192  # total per model, shared by its slots
    models_max: int = 4  # a count cap; the fit estimate bounds the loaded set too (app.server.budget)
    idle_unload_s: int = 600
    embeddings: bool = False
    threads: int | None = None
    chat_template_file: Path | None = None  # overrides every served model's own template
    models: tuple[str, ...] = field(default=())  # empty: the whole library
    rpc: tuple[str, ...] = ()  # rpc-server endpoints (workbench rpc-host) that take offloaded layers
    n_gpu_layers: int | None = None  # None: llama-server's default

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("an API key is required: pass --api-key, set WORKBENCH_API_KEY, or let serve make one")
        if not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} is outside 1-65535")
        if self.parallel < 1 or self.ctx < 256 or self.models_max < 1:
            raise ValueError("need --parallel >= 1, -c >= 256 and --models-max >= 1")

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/v1")


def resolve_api_key(given: str | None) -> tuple[str, bool]:
    """The key and whether it was generated here (then it is shown once)."""
    if given:
        return given, False
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV], False
    return new_api_key(), True


def new_api_key() -> str:
    return "wb-" + secrets.token_urlsafe(24)


def exposure_warning(host: str) -> str | None:
    """A warning when the server would be reachable from other machines."""
    if is_loopback(host):
        return None
    return (f"warning: serving on {host}, not loopback: other machines on the network can reach it. "
            "Anyone with the API key can run models here.")



def check_port_free(host: str, port: int) -> None:
    """A clear error before llama-server fails with a bind message deep in its log."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # as llama-server does: a port left in TIME_WAIT by a stopped server is free, a listening one is not
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise OSError(f"port {port} on {host} is already in use (or not allowed): {exc.strerror}. "
                          f"Stop what uses it or pick another with --port.") from None


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
