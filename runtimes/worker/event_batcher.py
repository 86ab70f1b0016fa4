"""Coalesce a worker's events into fewer pipe messages without delaying any.

At thousands of tokens/s a send per token costs more than the token; at
real-model speeds every token still goes out on its own. An event held back
goes out FLUSH_S later at the latest, sent by a flusher thread, so a burst
(whisper's segments of one window) never waits for the next event. One
batcher serves every request of a worker: a thread per request cost more than
a 0.1 ms ONNX run.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from runtimes.events import Done, Error
from runtimes.worker.messages import Events


class EventBatcher:
    FLUSH_S = 0.002

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._events: list = []
        self._last_send = time.perf_counter()
        self._cond = threading.Condition()
        self._timing = False  # the flusher is waiting out a held event's deadline
        self._closed = False
        self._flusher = threading.Thread(target=self._flush_held, name="event-flusher", daemon=True)
        self._flusher.start()

    def add(self, event: Any) -> None:
        with self._cond:
            self._events.append(event)
            now = time.perf_counter()
            if now - self._last_send >= self.FLUSH_S or isinstance(event, (Done, Error)):
                self._send(now)
            elif not self._timing:  # wake the flusher once per held burst, not per event
                self._timing = True
                self._cond.notify()

    def flush(self) -> None:
        """Send whatever is held (the end of a request)."""
        with self._cond:
            self._send(time.perf_counter())

    def close(self) -> None:
        with self._cond:
            self._send(time.perf_counter())
            self._closed = True
            self._cond.notify()
        self._flusher.join()

    def _send(self, now: float) -> None:
        if self._events:
            self._conn.send(Events(self._events))
            self._events = []
        self._last_send = now

    def _flush_held(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._timing:
                    self._cond.wait()
                    continue
                wait = self._last_send + self.FLUSH_S - time.perf_counter()
                if self._events and wait > 0:
                    self._cond.wait(wait)  # close() wakes it early
                    continue
                if self._events:
                    self._send(time.perf_counter())
                self._timing = False
