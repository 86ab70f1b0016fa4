"""Turn a worker's exit code and log into words a user can act on."""

from __future__ import annotations

import signal
from pathlib import Path

_HINTS = {
    signal.SIGKILL: "killed (SIGKILL): usually the system ran out of memory",
    signal.SIGSEGV: "crashed (SIGSEGV, segmentation fault)",
    signal.SIGABRT: "aborted (SIGABRT): llama.cpp hit an assertion or allocation failure",
    signal.SIGBUS: "crashed (SIGBUS): the model file may have changed or been truncated while mapped",
    signal.SIGTERM: "terminated (SIGTERM)",
}


def describe_exit(exit_code: int | None) -> str:
    if exit_code is None:
        return "stopped responding"
    if exit_code < 0:
        try:
            sig = signal.Signals(-exit_code)
        except ValueError:
            return f"killed by signal {-exit_code}"
        return _HINTS.get(sig, f"killed by {sig.name}")
    return f"exited with code {exit_code}"


def read_log_tail(path: Path, n_lines: int = 20) -> list[str]:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-n_lines:]
