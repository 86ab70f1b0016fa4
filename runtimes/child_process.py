"""Child processes die with Workbench, also when Workbench is SIGKILLed or crashes.

A clean exit stops children already (atexit, daemon workers); a SIGKILL runs no Python at all, and
llama-server, rpc-server, a quantizer or a model worker would keep running. On Linux the kernel
signals a child when its parent goes (prctl PR_SET_PDEATHSIG), with two catches handled here:
- the signal follows the *thread* that forked the child, not the process, so every child is
  started from one thread that lives as long as Workbench (a Qt pool thread expires when idle);
- the parent may die between fork and prctl, so the child checks os.getppid() right after.

Elsewhere a multiprocessing child watches its parent's sentinel (a pipe that reads EOF once the
parent is gone) from a daemon thread and exits. An executable started with ``popen`` cannot be
changed, so on macOS and Windows it outlives a killed Workbench (README, "Local API server").
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
ORPHANED_EXIT_CODE = 1  # the parent was gone before the child could ask to follow it

_ON_SPAWNER = threading.local()
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="child-spawner",
                              initializer=lambda: setattr(_ON_SPAWNER, "yes", True))


def in_spawner(start: Callable[[], T]) -> T:
    """Run ``start`` (which forks a child) on the one long-lived spawner thread."""
    if getattr(_ON_SPAWNER, "yes", False):
        return start()
    return _SPAWNER.submit(start).result()


def popen(args: Sequence[str], death_signal: int = signal.SIGTERM, **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(args, **kwargs)`` whose child gets ``death_signal`` when Workbench ends (Linux)."""
    prctl = _prctl()
    if prctl is not None:
        kwargs["preexec_fn"] = _follow_parent(prctl, death_signal, os.getpid())
    return in_spawner(lambda: subprocess.Popen(args, **kwargs))


def die_with_parent(death_signal: int = signal.SIGKILL) -> None:
    """Call first thing in a multiprocessing (spawn) child: it ends when the process that started it does."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child: nothing to follow
        return
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, death_signal)
        if os.getppid() != parent.pid:
            os._exit(ORPHANED_EXIT_CODE)
    else:  # the sentinel reads EOF once the parent is gone (macOS, Windows)
        threading.Thread(target=_exit_when_gone, args=(parent.sentinel,), name="parent-watch", daemon=True).start()


def _follow_parent(prctl: Callable[..., int], death_signal: int, parent_pid: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the forked child before exec: only what is already resolved
        prctl(PR_SET_PDEATHSIG, death_signal)
        if os.getppid() != parent_pid:
            os._exit(ORPHANED_EXIT_CODE)

    return preexec


def _exit_when_gone(sentinel: int) -> None:
    from multiprocessing.connection import wait

    wait([sentinel])
    os._exit(ORPHANED_EXIT_CODE)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
