"""SHA-256 of a .part file, kept in step with it as bytes are appended.

The hashing runs on its own thread: hashlib releases the GIL on large buffers,
so hashing one chunk overlaps receiving the next instead of adding to it (at
loopback speeds, hashing inline cost a third of the throughput).
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path

BLOCK = 1 << 20
_QUEUED_CHUNKS = 16  # bounds the memory held by bytes waiting to be hashed


class PartDigest:
    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.length = 0  # bytes handed to update()
        self._queue: queue.Queue[bytes | None] = queue.Queue(_QUEUED_CHUNKS)
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PartDigest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, data: bytes) -> None:
        """Queue `data` (which must not change afterwards) to be hashed next."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._hash_queued, name="part-digest", daemon=True)
            self._thread.start()
        self._queue.put(data)
        self.length += len(data)

    def sync(self, part: Path, offset: int, check_stop: Callable[[], None]) -> None:
        """Make the digest cover exactly part[0:offset] (after a resume or a restart)."""
        if self.length == offset:
            return
        self._queue.join()
        self._hash, self.length = hashlib.sha256(), 0
        if offset:
            with open(part, "rb") as f:
                while self.length < offset and (block := f.read(min(BLOCK, offset - self.length))):
                    self.update(block)
                    check_stop()

    def hexdigest(self) -> str:
        self._queue.join()
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _hash_queued(self) -> None:
        while (data := self._queue.get()) is not None:
            self._hash.update(data)
            self._queue.task_done()
        self._queue.task_done()
