"""Child side of a model worker: load one model, serve run requests.

Everything llama.cpp (or any native engine) prints goes to a log file whose
tail the parent attaches to errors, because a crash leaves nothing else.
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

from runtimes.base import CancelToken, LoadOptions
from runtimes.child_process import die_with_parent
from runtimes.events import Error
from runtimes.worker.event_batcher import EventBatcher
from runtimes.worker.messages import Close, Loaded, LoadError, ToWorker

IN_WORKER = False  # set in the child so runtimes may log freely to its log file


class SharedState(NamedTuple):
    cancel: Any  # RawValue('b'): 1 once the parent asks to cancel
    units: Any  # RawValue('q'): events produced so far in the current run


class SharedCancelToken(CancelToken):
    def __init__(self, flag: Any) -> None:
        self._flag = flag

    def cancel(self) -> None:
        self._flag.value = 1

    @property
    def cancelled(self) -> bool:
        return bool(self._flag.value)


def _redirect_output(log_path: str) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115


def _describe(exc: BaseException, log_path: str) -> str:
    from runtimes.worker.exit_reason import read_log_tail

    message = str(exc) or type(exc).__name__
    tail = [line for line in read_log_tail(Path(log_path)) if "error" in line.lower()]
    return f"{message} ({tail[-1].strip()})" if tail else message


def main(conn: Connection, runtime_name: str, model: str, options: LoadOptions, shared: SharedState,
         log_path: str) -> None:
    global IN_WORKER
    IN_WORKER = True
    die_with_parent()  # daemon=True only helps when the parent exits cleanly
    _redirect_output(log_path)
    from runtimes.registry import get_runtime

    try:
        session = get_runtime(runtime_name).open_session(Path(model), options)
    except Exception as exc:  # report any load failure; the parent raises it
        conn.send(LoadError(_describe(exc, log_path)))
        return
    conn.send(Loaded(session.info, session.stats))
    token = SharedCancelToken(shared.cancel)
    batch = EventBatcher(conn)
    while True:
        try:
            message: ToWorker = conn.recv()
        except (EOFError, OSError):
            break  # parent went away
        if isinstance(message, Close):
            break
        shared.units.value = 0
        try:
            for event in session.run(message.request, token):
                shared.units.value += 1
                batch.add(event)
        except Exception as exc:  # the session stays usable; report and go on
            batch.add(Error(_describe(exc, log_path), type(exc).__name__))
        batch.flush()
    batch.close()
    session.close()
