"""Compute an importance matrix with llama.cpp's own llama-imatrix.

The tool is the reference, so it does the work and its file format is the
output (GGUF, or the legacy .dat when the name ends in .dat). This module
only runs it as a child process, reads its progress lines (the chunk count
it announces, then one ``[i]ppl,`` per chunk) for a progress bar and an ETA,
and cancels by terminating it. It writes to ``<out>.part`` and renames at the
end, so a cancelled run never leaves a half-written matrix under the real name.
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from app.errors import ImatrixCancelled, ImatrixError
from app.tool_process import stop_process
from runtimes.child_process import popen

DEFAULT_TEXT_NAME = "compare-default.txt"  # the bundled evaluation text (Compare scores on it too)
_TOTAL = re.compile(rb"computing over (\d+) chunks")
_CHUNK = re.compile(rb"\[(\d+)\][-+0-9.naife]+,")
_POLL_S = 0.1

# (chunks done, chunks total, seconds left or None while unknown)
Progress = Callable[[int, int, float | None], Any]


@dataclass(frozen=True)
class ImatrixRequest:
    model: Path
    text: Path | None = None  # None: the bundled evaluation text
    out: Path = Path("imatrix.gguf")
    n_ctx: int = 512
    chunks: int | None = None
    threads: int | None = None

    def validate(self) -> None:
        if not Path(self.model).is_file():
            raise ImatrixError(f"model not found: {self.model}")
        if self.text is not None and not Path(self.text).is_file():
            raise ImatrixError(f"text file not found: {self.text}")
        if self.n_ctx < 8:
            raise ImatrixError("the chunk size (-c) must be at least 8 tokens")
        if self.chunks is not None and self.chunks < 1:
            raise ImatrixError("--chunks must be at least 1")


def find_imatrix_tool() -> Path:
    from runtimes.llama_cpp.native_build import find_tool, missing_tool_message

    tool = find_tool("llama-imatrix")
    if tool is None:
        raise ImatrixError(missing_tool_message("making an importance matrix", "llama-imatrix"))
    return tool


def is_default_text(text: Path | None) -> bool:
    """True when ``text`` is the bundled text Compare scores on (an imatrix fitted to it flatters the scores)."""
    if text is None:
        return True
    bundled = files("assets").joinpath(DEFAULT_TEXT_NAME)
    try:
        return Path(text).read_bytes() == bundled.read_bytes()
    except OSError:
        return False


def command(tool: Path, request: ImatrixRequest, text: Path, out: Path) -> list[str]:
    """llama-imatrix's arguments; the benchmark runs the tool with these same flags by hand."""
    args = [str(tool), "-m", str(request.model), "-f", str(text), "-o", str(out), "-c", str(request.n_ctx),
            "--output-format", "dat" if request.out.suffix == ".dat" else "gguf"]
    if request.chunks is not None:
        args += ["--chunks", str(request.chunks)]
    if request.threads is not None:
        args += ["-t", str(request.threads)]
    return args


class ProgressParser:
    """Turns llama-imatrix's output bytes into (done, total) as they arrive."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self._buffer = b""

    def feed(self, data: bytes) -> list[int]:
        """The chunks finished in this piece of output, in order (several can arrive in one read)."""
        self._buffer += data
        before = self.done
        if not self.total:
            found = _TOTAL.search(self._buffer)
            if found:
                self.total = int(found.group(1))
                self._buffer = self._buffer[found.end():]
        if self.total:
            for found in _CHUNK.finditer(self._buffer):
                self.done = max(self.done, int(found.group(1)))
            cut = self._buffer.rfind(b",")
            if cut >= 0:
                self._buffer = self._buffer[cut + 1:]
        self._buffer = self._buffer[-4096:]
        return list(range(before + 1, self.done + 1))


def run_imatrix(request: ImatrixRequest, progress: Progress | None = None, cancel: Any = None) -> Path:
    """Runs llama-imatrix to completion; returns the written file. Cancel raises ImatrixCancelled."""
    for event in imatrix_events(request, cancel):
        if event[0] == "progress" and progress is not None:
            progress(*event[1:])
        elif event[0] == "done":
            return event[1]
    raise ImatrixCancelled("cancelled")  # pragma: no cover - imatrix_events ends with "done" or raises


def imatrix_events(request: ImatrixRequest, cancel: Any = None) -> Iterator[tuple[Any, ...]]:
    """The same run as a generator (for GUI workers): ("progress", done, total, seconds_left)
    as chunks finish, then ("done", path). Cancel raises ImatrixCancelled after stopping the tool."""
    request.validate()
    tool = find_imatrix_tool()
    out = Path(request.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    log = bytearray()
    with as_file(files("assets").joinpath(DEFAULT_TEXT_NAME)) as bundled:
        text = Path(request.text) if request.text is not None else bundled
        proc = popen(command(tool, request, text, part), stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        parser = ProgressParser()
        try:
            yield from _follow(proc, parser, log, cancel)
        except BaseException:  # cancel, Ctrl+C, or the consumer closing the generator
            stop_process(proc)
            part.unlink(missing_ok=True)
            raise
    if proc.returncode != 0 or not part.is_file():
        part.unlink(missing_ok=True)
        tail = " | ".join(bytes(log).decode(errors="replace").strip().splitlines()[-4:])
        raise ImatrixError(f"llama-imatrix failed (exit {proc.returncode}): {tail}")
    part.replace(out)
    # A clean exit means every chunk ran; the last per-chunk lines can be missing from the output
    # (llama.cpp logs from a background thread), so the bar is completed here.
    for done in range(parser.done + 1, parser.total + 1):
        yield ("progress", done, parser.total, 0.0)
    yield ("done", out)


def _follow(proc: subprocess.Popen, parser: ProgressParser, log: bytearray,
            cancel: Any) -> Iterator[tuple[Any, ...]]:
    started = None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    fd = proc.stdout.fileno()
    while True:
        if cancel is not None and getattr(cancel, "cancelled", False):
            raise ImatrixCancelled("cancelled")
        if not selector.select(_POLL_S):
            continue
        data = os.read(fd, 65536)
        if not data:
            break
        log += data
        del log[:-16384]
        finished = parser.feed(data)
        if started is None and parser.total:
            started = time.monotonic()  # the chunks start now; loading is not part of the ETA
        for done in finished:
            elapsed = time.monotonic() - started
            yield ("progress", done, parser.total, elapsed / done * (parser.total - done))
    selector.close()
    proc.wait()

