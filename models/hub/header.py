"""Read a remote GGUF header with HTTP Range requests: arch, context and layers
before anything is downloaded. Reuses gguf_validate's defensive parser on a
file-like object that fetches byte ranges on demand."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import PurePosixPath

from models.errors import HubError, ModelFileError, http_error
from models.gguf import validate as gguf_validate
from models.gguf.validate import GGUFHeader
from models.hub.client import HubClient

FIRST_BLOCK = 256 << 10
MAX_BLOCK = 16 << 20
MAX_HEADER_BYTES = 128 << 20  # vocabularies are a few MiB; stop long before a full download


class RangeReader:
    """Just enough of BinaryIO for gguf_validate: read(n) and seek(n, SEEK_CUR).
    Fetches growing blocks so a header costs a handful of requests."""

    def __init__(self, fetch: Callable[[int, int], bytes], size: int) -> None:
        self._fetch = fetch
        self.size = size
        self.pos = 0
        self.fetched = 0
        self._buf = b""
        self._buf_start = 0
        self._block = FIRST_BLOCK

    def read(self, n: int) -> bytes:
        end = min(self.pos + n, self.size)
        if not (self._buf_start <= self.pos and end <= self._buf_start + len(self._buf)):
            length = max(end - self.pos, self._block)
            if self.fetched + length > MAX_HEADER_BYTES:
                raise OSError(f"header is larger than {MAX_HEADER_BYTES >> 20} MiB")
            self._buf_start = self.pos
            self._buf = self._fetch(self.pos, min(self.pos + length, self.size) - 1)
            self.fetched += len(self._buf)
            self._block = min(self._block * 2, MAX_BLOCK)
        data = self._buf[self.pos - self._buf_start:end - self._buf_start]
        self.pos += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.pos = offset if whence == os.SEEK_SET else self.pos + offset
        return self.pos


def read_remote_header(client: HubClient, repo_id: str, filename: str, size: int,
                       revision: str = "main") -> GGUFHeader:
    """Parse the header of a GGUF on the Hub; HubError for HTTP, ModelFileError for bad data."""
    url = client.file_url(repo_id, filename, revision)
    label = f"{repo_id}/{PurePosixPath(filename)}"

    def fetch(start: int, end: int) -> bytes:
        try:
            response = client.get(url, {"Range": f"bytes={start}-{end}"})
        except Exception as e:  # httpx transport errors
            raise HubError(f"read header of {label}: cannot reach the Hub ({e})") from e
        if response.status_code not in (200, 206):
            raise http_error(response.status_code, f"read header of {label}")
        body = response.content
        # A server that ignores Range sends the whole file: keep only what was asked.
        return body[start:end + 1] if response.status_code == 200 else body

    if size <= 0:
        raise ModelFileError(label, "the Hub lists this file as empty")
    reader = RangeReader(fetch, size)
    try:
        return gguf_validate._check_stream(gguf_validate._Stream(label, reader, size))  # type: ignore[arg-type]
    except OSError as e:
        raise ModelFileError(label, str(e)) from e
