"""The .part digest hashes on its own thread but must equal a plain SHA-256, in order."""

from __future__ import annotations

import hashlib
import os
import threading

from models.download.part_digest import PartDigest


def _never_stop() -> None:
    pass


def test_digest_of_many_chunks_equals_hashlib():
    chunks = [os.urandom(n) for n in (1, 4096, 1 << 20, 77, 3 << 20, 0, 12345)]
    with PartDigest() as digest:
        for c in chunks:
            digest.update(c)
        assert digest.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()
        assert digest.length == sum(map(len, chunks))


def test_sync_rehashes_a_part_from_disk_then_continues(tmp_path):
    part = tmp_path / "x.part"
    head, tail = os.urandom(3 << 20), os.urandom(100_000)
    part.write_bytes(head + b"junk past the resume point")
    with PartDigest() as digest:
        digest.update(b"bytes of an earlier attempt that no longer match the file")
        digest.sync(part, len(head), _never_stop)
        digest.update(tail)
        assert digest.hexdigest() == hashlib.sha256(head + tail).hexdigest()


def test_close_ends_the_hashing_thread():
    before = {t.ident for t in threading.enumerate()}
    digest = PartDigest()
    digest.update(b"x" * 10)
    digest.close()
    assert {t.ident for t in threading.enumerate()} <= before
