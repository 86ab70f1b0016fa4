"""Parent side of a model worker: a Session that proxies to a child process.

The child (``runtimes.worker.child``) loads the model through the runtime's
``open_session`` and streams events back over a pipe. Cancel is a byte in
shared memory that the child polls between tokens, so it takes effect within
one token without a pipe round-trip. If the child dies, ``run`` raises
``WorkerCrashed`` with the exit reason and the last lines the child logged,
also when it died while idle (checked before a request is sent, never a
broken pipe). ``wait_for_exit`` lets a watcher notice an idle death at once.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtimes.base import CancelToken, LoadOptions, Session, SessionStats
from runtimes.child_process import in_spawner
from runtimes.errors import LoadCancelled, LoadFailed, WorkerCrashed
from runtimes.events import Done, Error, Event
from runtimes.worker import child
from runtimes.worker.exit_reason import describe_exit, read_log_tail
from runtimes.worker.messages import Close, Events, FromWorker, Loaded, LoadError, Run

if TYPE_CHECKING:
    from runtimes.requests import Request

_POLL_S = 0.05


class WorkerSession(Session):
    def __init__(self, process: Any, conn: Any, shared: child.SharedState, log_path: Path) -> None:
        self._process = process
        self._conn = conn
        self._shared = shared
        self.log_path = log_path
        self.stats = SessionStats(pid=process.pid)
        self.info: dict[str, Any] = {}
        self.units_at_cancel: int | None = None
        # Seconds a run may go without any event before the worker counts as hung (None: no limit);
        # set from the load options (an RPC server that stops answering blocks ggml forever).
        self.stall_timeout_s: float | None = None
        self._closed = False
        # The model host's watcher and a caller may both ask why the worker died: one reaps the
        # process at a time (two concurrent waitpid calls make one of them see no exit code).
        self._exit_lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def closed(self) -> bool:
        return self._closed

    def wait_for_exit(self, timeout: float | None = None) -> WorkerCrashed | None:
        """Block until the worker process ends (or ``timeout``). Returns its
        WorkerCrashed when it died on its own; None after close() or on timeout."""
        if not mp.connection.wait([self._process.sentinel], timeout):
            return None
        return None if self._closed else self._crashed()

    def _crashed(self) -> WorkerCrashed:
        with self._exit_lock:
            deadline = time.monotonic() + 2.0
            self._process.join(timeout=2.0)
            while self._process.exitcode is None and time.monotonic() < deadline:
                self._process.join(timeout=0.05)  # reaped by a thread outside this lock: its code lands soon
        return WorkerCrashed(
            self._process.exitcode,
            describe_exit(self._process.exitcode),
            read_log_tail(self.log_path),
        )

    @classmethod
    def start(
        cls,
        runtime_name: str,
        model: Path,
        options: LoadOptions,
        cancel: CancelToken | None = None,
    ) -> WorkerSession:
        ctx = mp.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe()
        shared = child.SharedState(ctx.RawValue("b", 0), ctx.RawValue("q", 0))
        fd, log_name = tempfile.mkstemp(prefix="workbench-worker-", suffix=".log")
        os.close(fd)
        process = ctx.Process(
            target=child.main,
            args=(child_conn, runtime_name, str(model), options, shared, log_name),
            name=f"workbench-{runtime_name}-{Path(model).name}",
            daemon=True,
        )
        t0 = time.perf_counter()
        in_spawner(process.start)  # children die with the thread that started them (runtimes.child_process)
        child_conn.close()
        session = cls(process, parent_conn, shared, Path(log_name))
        session.stall_timeout_s = getattr(options, "stall_timeout_s", None)
        try:
            session._await_load(cancel)
        except BaseException:
            session._kill()
            raise
        session.stats.load_seconds = time.perf_counter() - t0
        return session

    def _await_load(self, cancel: CancelToken | None) -> None:
        while True:
            if cancel is not None and cancel.cancelled:
                raise LoadCancelled()
            match self._receive():
                case Loaded(info, child_stats):
                    self.info = info
                    self.stats.peak_rss_bytes = child_stats.peak_rss_bytes
                    self.stats.vram_bytes = child_stats.vram_bytes
                    return
                case LoadError(message):
                    raise LoadFailed(message)

    def _receive_events(self) -> list[Event] | None:
        """The next batch of a run's events, None on timeout; raises WorkerCrashed if the child died."""
        message = self._receive()
        if message is None:
            return None
        if isinstance(message, Events):
            return message.events
        raise RuntimeError(f"the worker sent {type(message).__name__} during a run")

    def _receive(self) -> FromWorker | None:
        """One message, None on timeout; raises WorkerCrashed if the child died."""
        try:
            if self._conn.poll(_POLL_S):
                return self._conn.recv()
        except (EOFError, OSError):
            pass
        else:
            if self._process.is_alive():
                return None
        raise self._crashed()

    def run(self, request: Request, cancel: CancelToken | None = None) -> Iterator[Event]:
        if self._closed:
            raise LoadFailed("session is closed")
        if not self._process.is_alive():  # died while idle: say so instead of writing to a dead pipe
            raise self._crashed()
        self._shared.cancel.value = 0
        self.units_at_cancel = None
        try:
            self._conn.send(Run(request))
        except (BrokenPipeError, ConnectionResetError, EOFError):  # died just now
            raise self._crashed() from None
        finished = False
        last_message = time.monotonic()
        try:
            while True:
                if cancel is not None and cancel.cancelled and not self._shared.cancel.value:
                    self._request_cancel()
                events = self._receive_events()
                if events is None:
                    self._check_stall(last_message)
                    continue
                last_message = time.monotonic()
                for event in events:
                    if isinstance(event, Done):
                        self.stats.peak_rss_bytes = max(self.stats.peak_rss_bytes, event.stats.peak_rss_bytes)
                    finished = isinstance(event, (Done, Error))
                    yield event
                    if finished:
                        return
        finally:
            if not finished and self._process.is_alive():
                self._drain_after_early_exit()

    def _check_stall(self, last_message: float) -> None:
        if self.stall_timeout_s is None or time.monotonic() - last_message < self.stall_timeout_s:
            return
        tail = read_log_tail(self.log_path)
        self._kill()
        raise WorkerCrashed(None, f"no progress for {self.stall_timeout_s:g} s, stopped: a remote (RPC) device "
                            "may have stopped answering", tail)

    def _request_cancel(self) -> None:
        self.units_at_cancel = self._shared.units.value
        self._shared.cancel.value = 1

    def _drain_after_early_exit(self) -> None:
        """The consumer stopped iterating: cancel and eat events until Done."""
        self._request_cancel()
        try:
            while True:
                events = self._receive_events()
                if events is not None and isinstance(events[-1], (Done, Error)):
                    return
        except WorkerCrashed:
            return

    def memory(self) -> tuple[int, int | None]:
        """Current (RSS bytes, VRAM bytes or None) of the worker process."""
        from runtimes.memory import process_rss, process_vram

        return process_rss(self.pid), process_vram(self.pid)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._process.is_alive():
                self._conn.send(Close())
                self._process.join(timeout=5.0)
        except (OSError, EOFError, BrokenPipeError):
            pass
        self._kill()

    def _kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5.0)
        self._conn.close()
        try:
            self.log_path.unlink()
        except OSError:
            pass
