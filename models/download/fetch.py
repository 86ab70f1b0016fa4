"""The byte loop: fetch a URL into a .part file with HTTP Range, resuming where
the file ends, retrying drops/429/5xx with backoff. The SHA-256 is computed as
the bytes arrive (a resumed .part is hashed once up to where it ends), so
verifying a finished multi-GiB file costs no second pass over it.

Owned here rather than hf_hub_download because the app needs per-chunk
progress, pause/cancel between chunks, and a quarantine on hash mismatch.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.download.http import BodyResponse
from models.download.part_digest import PartDigest
from models.download.progress import DownloadProgress, SpeedMeter
from models.errors import ConnectionLost, DownloadCancelled, HubError, http_error, is_retryable

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class StopFlag:
    """Set from any thread; checked between chunks. reason: "pause" keeps the .part, "cancel" deletes it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def stop(self, reason: str = "cancel") -> None:
        self.reason = reason
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait for a backoff; True if stopped meanwhile."""
        return self._event.wait(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # consecutive failures without progress before giving up
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.max_delay_s)
        return min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s)


ProgressFn = Callable[[DownloadProgress], None]
GetFn = Callable[[str, dict[str, str]], BodyResponse]  # streaming GET


def fetch_to_part(get: GetFn, url: str, part: Path, total: int, label: str,
                  progress: ProgressFn | None = None, stop: StopFlag | None = None,
                  retry: RetryPolicy = RetryPolicy()) -> str:
    """Make `part` hold exactly `total` bytes of `url`, resuming from its current size;
    returns the SHA-256 of the finished file."""
    stop = stop or StopFlag()
    part.parent.mkdir(parents=True, exist_ok=True)
    with PartDigest() as digest:
        return _fetch_until_complete(get, url, part, total, label, progress, stop, retry, digest)


def _fetch_until_complete(get: GetFn, url: str, part: Path, total: int, label: str,
                          progress: ProgressFn | None, stop: StopFlag, retry: RetryPolicy,
                          digest: PartDigest) -> str:
    meter = SpeedMeter()
    failures = 0
    while True:
        offset = part.stat().st_size if part.exists() else 0
        if offset > total:  # a stale .part from a different file version
            part.unlink()
            offset = 0
        if offset == total:
            digest.sync(part, total, lambda: _check_stop(stop))
            return digest.hexdigest()
        _check_stop(stop)
        try:
            got = _fetch_range(get, url, part, offset, total, label, progress, stop, meter, digest)
        except HubError as e:
            if not is_retryable(e.status):
                raise
            failures += 1
            error = e
            retry_after = getattr(e, "retry_after", None)
        except ConnectionLost as e:  # dropped connection, timeout, refused
            if not e.transient:
                raise HubError(f"download {label}: {e}") from e
            failures += 1
            error = HubError(f"download {label}: connection lost ({e})")
            retry_after = None
        else:
            if got:
                failures = 0
            continue
        if failures >= retry.attempts:
            raise HubError(f"{error} (gave up after {failures} attempts; run the download again to resume)",
                           error.status)
        if progress:
            progress(DownloadProgress(label, part.stat().st_size if part.exists() else 0, total, 0.0, "retrying"))
        if stop.sleep(retry.delay(failures, retry_after)):
            _check_stop(stop)


def _fetch_range(get: GetFn, url: str, part: Path, offset: int, total: int, label: str,
                 progress: ProgressFn | None, stop: StopFlag, meter: SpeedMeter, digest: PartDigest) -> int:
    """One request from `offset`; returns how many bytes it appended."""
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    response = get(url, headers)
    try:
        status = response.status
        if status == 416 and offset:
            part.unlink()  # our .part no longer matches the file: start over
            return 0
        if status not in (200, 206):
            err = http_error(status, f"download {label}")
            err.retry_after = response.headers.get("Retry-After")  # type: ignore[attr-defined]
            raise err
        if status == 206:
            m = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not m or int(m[1]) != offset:
                raise HubError(f"download {label}: server sent the wrong byte range", 502)
        elif offset:  # 200: the server ignored Range, so rewrite from the start
            offset = 0
        written = 0
        digest.sync(part, offset, lambda: _check_stop(stop))
        # Unbuffered appends: bytes handed to the OS survive the app being killed.
        with open(part, "r+b" if offset else "wb", buffering=0) as f:
            f.seek(offset)
            f.truncate()
            # chunks() hands over what it holds before raising: a drop loses nothing that reached
            # us; a kill loses at most the one chunk (<= download_http.READ_SIZE) held in memory.
            for data in response.chunks():
                if offset + written + len(data) > total:
                    raise HubError(f"download {label}: server sent more than the listed {total} bytes", 502)
                f.write(data)
                digest.update(data)
                written += len(data)
                if progress:
                    progress(DownloadProgress(label, offset + written, total, meter.add(len(data))))
                if stop.stopped:
                    break
        _check_stop(stop)
        return written
    finally:
        response.close()


def _check_stop(stop: StopFlag) -> None:
    if stop.stopped:
        raise DownloadCancelled("paused" if stop.reason == "pause" else "cancelled")

