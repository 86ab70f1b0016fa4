"""For tests that SIGKILL a Workbench process: did its children go with it? (A child of a killed
process is re-parented; where nothing reaps it, it lingers as a zombie, which counts as gone.)"""

from __future__ import annotations

import time

import psutil


def still_running(procs: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """The processes still running (not exited, not a zombie) after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        alive = [p for p in procs if _running(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def kill_leftovers(procs: list[psutil.Process]) -> None:
    """A failed test leaves no orphans behind on the machine."""
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
