"""Start, watch and stop llama-server in router mode. A crash restarts it (with the exit code and
last log lines reported, as a worker's crash is); a port in use is a clear error up front; the log
goes to a file the page can open."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.server.config import CORS_OFF_ORIGIN, ServeConfig, check_port_free
from runtimes.child_process import popen
from runtimes.llama_cpp.native_build import missing_tool_message

MISSING_TOOLS = missing_tool_message("the local API server", "llama-server")
LOG_TAIL_LINES = 15


@dataclass(frozen=True)
class ServerEvent:
    kind: str  # "started", "crashed", "restarting", "stopped", "failed"
    message: str


def find_llama_server() -> Path:
    """WORKBENCH_LLAMA_SERVER names another build (e.g. a GPU one); otherwise the cached native build."""
    override = os.environ.get("WORKBENCH_LLAMA_SERVER")
    if override:
        return Path(override)
    from runtimes.llama_cpp.native_build import find_tool

    path = find_tool("llama-server")
    if path is None:
        raise FileNotFoundError(MISSING_TOOLS)
    return path


def server_argv(binary: Path, config: ServeConfig, preset: Path, key_file: Path) -> list[str]:
    return [str(binary), "--models-preset", str(preset), "--host", config.host, "--port", str(config.port),
            "--api-key-file", str(key_file), "--models-max", str(config.models_max), "--metrics",
            "--cors-origins", CORS_OFF_ORIGIN, "--no-ui"]


class ServerProcess:
    """One llama-server router; restarts it when it dies unless stop() was called."""

    def __init__(self, config: ServeConfig, preset: Path, workdir: Path,
                 on_event: Callable[[ServerEvent], None] = lambda e: None, max_restarts: int = 5,
                 binary: Path | None = None):
        self.config, self.preset, self.workdir, self.on_event = config, preset, workdir, on_event
        self.binary = binary or find_llama_server()
        self.log_path = workdir / "llama-server.log"
        self.max_restarts = max_restarts
        self.restarts = 0
        self.last_crash: str | None = None
        self._proc: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def start(self, ready_timeout: float = 30.0) -> None:
        check_port_free(self.config.host, self.config.port)
        self._stopping.clear()
        self._launch(ready_timeout)
        self._watcher = threading.Thread(target=self._watch, name="llama-server-watch", daemon=True)
        self._watcher.start()
        atexit.register(self._kill_at_exit)  # a Python exit without stop() leaves no server behind

    def _kill_at_exit(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._stopping.set()
            _signal_group(self._proc, signal.SIGKILL)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout)
        self.on_event(ServerEvent("stopped", "server stopped"))

    def log_tail(self, n: int = LOG_TAIL_LINES) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()[-n:]
        except OSError:
            return []

    def _launch(self, ready_timeout: float) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        key_file = self.workdir / "api-key"
        key_file.touch(mode=0o600)
        key_file.chmod(0o600)  # the key never shows in `ps`
        key_file.write_text(self.config.api_key + "\n")
        if self.log_path.exists():
            self.log_path.replace(self.log_path.with_suffix(".log.1"))
        env = dict(os.environ)
        env["LLAMA_CACHE"] = str(self.workdir / "llama-cache")  # serve the library, not llama.cpp's own cache
        env.pop("LLAMA_API_KEY", None)
        with open(self.log_path, "ab") as log:
            # SIGTERM if Workbench dies: the router's own shutdown tells its model instances to exit
            self._proc = popen(server_argv(self.binary, self.config, self.preset, key_file),
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=env, start_new_session=True)
        self._wait_ready(ready_timeout)
        self.on_event(ServerEvent("started", f"serving on {self.config.base_url} (pid {self._proc.pid})"))

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = self.config.root_url + "/health"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with code {self._proc.returncode} while starting: "
                                   + " | ".join(self.log_tail(6)))
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"llama-server did not answer {url} within {timeout:.0f} s; log: {self.log_path}")

    def _watch(self) -> None:
        while not self._stopping.is_set():
            proc = self._proc
            if proc is None or proc.poll() is None:
                self._stopping.wait(0.5)
                continue
            if self._stopping.is_set():
                return
            _signal_group(proc, signal.SIGKILL)  # orphaned model instances would hold memory
            tail = self.log_tail()
            self.last_crash = f"llama-server exited with code {proc.returncode}; last log lines:\n" + "\n".join(tail)
            self.on_event(ServerEvent("crashed", self.last_crash))
            if self.restarts >= self.max_restarts:
                self.on_event(ServerEvent("failed", f"gave up after {self.restarts} restarts; log: {self.log_path}"))
                return
            self.restarts += 1
            self.on_event(ServerEvent("restarting", f"restarting llama-server (restart {self.restarts})"))
            time.sleep(min(0.5 * 2 ** (self.restarts - 1), 8))  # back off so a crash loop stays cheap
            try:
                self._launch(30.0)
            except (OSError, RuntimeError, TimeoutError) as exc:
                self.on_event(ServerEvent("crashed", f"restart failed: {exc}"))


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """The router spawns one child per loaded model; they go with it."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
