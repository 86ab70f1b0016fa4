"""A speed test runs alone: no other model work of ours beside it.

Tokens/s measured while another worker shares the cores are worthless:
llama.cpp's thread pools spin, and two of them on the same cores stall each
other (a demo model's tg fell from 1,542 to 2.4 t/s while other work ran).
Model work in Compare and the Arena holds the gate shared; a speed test
holds it alone, so it waits for the others to finish and they wait for it.
Waiting speed tests go first, so a stream of shared work cannot starve them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_POLL_S = 0.2  # how often a waiter looks at its cancel token


class SoloGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._solo = False
        self._solo_waiting = 0

    @contextmanager
    def shared(self, cancel: Any = None) -> Iterator[bool]:
        """Hold the gate with other shared work; yields False when cancelled while waiting."""
        with self._cond:
            got = self._wait(lambda: not (self._solo or self._solo_waiting), cancel)
            self._shared += got
        if not got:
            yield False
            return
        try:
            yield True
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def solo(self, cancel: Any = None, on_wait: Callable[[], None] | None = None) -> Iterator[bool]:
        """Hold the gate alone; yields False when cancelled while waiting.

        ``on_wait`` is called once if the gate is busy (to say what we wait for).
        """
        with self._cond:
            self._solo_waiting += 1
            if (self._solo or self._shared) and on_wait is not None:
                on_wait()
            got = self._wait(lambda: not (self._solo or self._shared), cancel)
            self._solo_waiting -= 1
            self._solo = got
            self._cond.notify_all()
        if not got:
            yield False
            return
        try:
            yield True
        finally:
            with self._cond:
                self._solo = False
                self._cond.notify_all()

    def _wait(self, ready: Callable[[], bool], cancel: Any) -> bool:
        """Under the lock: wait until ready (True) or cancelled (False)."""
        while not ready():
            if cancel is not None and cancel.cancelled:
                return False
            self._cond.wait(_POLL_S)
        return True

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._solo or self._shared > 0


GATE = SoloGate()  # one per process: the window's Compare and Arena share it
