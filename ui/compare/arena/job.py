"""The arena as a generator for ``start_worker``. ``run_arena`` blocks on its
workers, so it runs on a helper thread; this generator hands its events to
the GUI in small batches (at most every BATCH_S), so a fast model streaming
hundreds of tokens a second costs the GUI thread a few signals, not one per
token. Everything here runs off the GUI thread."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.compare.arena.run import ArenaConfig, arena_sampling, run_arena
from app.compare.runner import reference_order
from runtimes.base import CancelToken
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.speculative.options import SpeculativeOptions

BATCH_S = 0.03
_END = object()


@dataclass(frozen=True)
class ArenaRequest:
    files: list[Path]
    reference: Path | None  # None: the largest file
    prompts: list[str]
    max_tokens: int
    temperature: float
    seed: int
    chat: bool
    n_ctx: int = 2048
    speculative: SpeculativeOptions | None = None  # a draft model or prompt lookup, for every file


def arena_job(request: ArenaRequest):
    def job(cancel: CancelToken) -> Iterator[Any]:
        reference = request.reference or reference_order(request.files)
        spec = ArenaConfig(reference, list(request.files), request.prompts,
                         arena_sampling(max_tokens=request.max_tokens, temperature=request.temperature,
                                        seed=request.seed),
                         LlamaLoadOptions(n_ctx=request.n_ctx, speculative=request.speculative), request.chat)
        yield ("spec", spec)
        events: queue.Queue = queue.Queue()

        def target() -> None:
            try:
                for event in run_arena(spec, cancel):
                    events.put(event)
            except Exception as exc:  # re-raised on the worker so the panel shows it
                events.put(("error", exc))
            finally:
                events.put(_END)

        threading.Thread(target=target, name="arena", daemon=True).start()
        while True:
            batch = [events.get()]
            deadline = time.monotonic() + BATCH_S
            while batch[-1] is not _END and (left := deadline - time.monotonic()) > 0:
                try:
                    batch.append(events.get(timeout=left))
                except queue.Empty:
                    break
            done = batch[-1] is _END
            batch = [e for e in batch if e is not _END]
            for item in batch:
                if isinstance(item, tuple) and item[0] == "error":
                    raise item[1]
            if batch:
                yield ("events", batch)
            if done:
                return

    return job
