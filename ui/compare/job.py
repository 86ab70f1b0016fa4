"""The comparison as a generator for ``start_worker``: the runner reports
progress through a callback, so it runs on a helper thread and the generator
relays its progress from a queue as ("progress", done, total, label) items,
ending with ("done", CompareOutcome). Everything here does file I/O, so it
only ever runs off the GUI thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cli.compare_cmd import read_text
from app.compare.compatibility import difference, read_signature
from app.compare.kv.axis import KvAxisRunner
from app.compare.kv.types import parse_kv_types
from app.compare.runner import CompareConfig, CompareRunner, reference_order
from app.compare.variant_label import with_recipes
from runtimes.base import CancelToken

GGUF_SUFFIX = ".gguf"


@dataclass(frozen=True)
class CompareRequest:
    files: list[Path]
    reference: Path | None  # None: the largest file
    text_file: Path | None  # None: the bundled default text
    n_ctx: int
    n_chunks: int | None
    remeasure: bool = False  # measure every model again instead of reusing saved results
    kv_types: str = ""  # "" : f16 only; else e.g. "f16,q8_0,q8_0/f16" (app.compare.kv.types)
    speed_depth: int = 0


def compare_job(request: CompareRequest):
    def job(cancel: CancelToken) -> Iterator[tuple[Any, ...]]:
        reference = request.reference or reference_order(request.files)
        variants = [f for f in request.files if f != reference]
        text, text_name = read_text(request.text_file)
        spec = CompareConfig(reference, variants, text, text_name, request.n_ctx, request.n_chunks,
                           remeasure=request.remeasure, bench_depth=request.speed_depth)
        runner = (KvAxisRunner(spec, parse_kv_types(request.kv_types))
                  if request.kv_types else CompareRunner(spec))
        events: queue.Queue = queue.Queue()
        result: dict[str, Any] = {}

        def target() -> None:
            try:
                result["outcome"] = runner.run(lambda d, t, label: events.put(("progress", d, t, label)), cancel)
            except Exception as exc:  # re-raised on the worker so the page shows it
                result["error"] = exc
            finally:
                events.put(None)

        thread = threading.Thread(target=target, name="compare-runner", daemon=True)
        thread.start()
        while (event := events.get()) is not None:
            yield event
        thread.join()
        if "error" in result:
            raise result["error"]
        outcome = result["outcome"]
        outcome.records = with_recipes(outcome.records)  # reads each file's recipe, here off the GUI thread
        yield (
            "done",
            outcome,
            {"reference": str(reference), "text": text_name, "n_ctx": request.n_ctx, "n_chunks": request.n_chunks},
        )

    return job


def siblings_job(files: list[Path]):
    """GGUF files next to the first one with the same architecture and vocabulary."""

    def job(_cancel: CancelToken) -> Iterator[list[Path]]:
        anchor = files[0]
        signature = read_signature(anchor)
        found = []
        for candidate in sorted(anchor.parent.glob("*")):
            if candidate.suffix.lower() != GGUF_SUFFIX or candidate in files or not candidate.is_file():
                continue
            try:
                if difference(signature, read_signature(candidate)) is None:
                    found.append(candidate)
            except Exception:  # an unreadable neighbour is simply not suggested
                continue
        yield found

    return job
