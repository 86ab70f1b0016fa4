"""A whisper.cpp model loaded in the current process (normally a worker)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.dispatch import RequestHandlers
from runtimes.events import Event
from runtimes.requests import Request, TranscribeRequest
from runtimes.whisper_cpp.bench import WhisperBenchRequest, run_bench
from runtimes.whisper_cpp.engine import WhisperEngine
from runtimes.whisper_cpp.options import WhisperLoadOptions
from runtimes.whisper_cpp.transcribe import transcribe


def default_threads() -> int:
    """Physical cores, as for llama.cpp: whisper's OpenMP threads spin, so SMT siblings only contend."""
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


class WhisperSession(Session):
    """Runs TranscribeRequest (Segment events, then Done with language, audio_s, rtf...)
    and WhisperBenchRequest (Metrics progress, then Done with one bench record)."""

    def __init__(self, model: Path, options: WhisperLoadOptions, description: dict[str, Any]) -> None:
        self.model = model
        self.options = options
        self.n_threads = options.n_threads or default_threads()
        t0 = time.perf_counter()
        self.engine = WhisperEngine(model, options)
        self.stats = SessionStats.after_load(t0)
        self.info: dict[str, Any] = {
            "model": str(model),
            "description": f"whisper {self.engine.model_type} ({description.get('weight_type', '?')})",
            "multilingual": self.engine.multilingual,
            "n_threads": self.n_threads,
            "device": options.device,
            **{k: description[k] for k in ("n_params", "n_vocab", "n_audio_layer", "n_text_layer") if k in description},
        }

    def run(self, request: Request, cancel: CancelToken | None = None) -> Iterator[Event]:
        if self.engine.ctx is None:
            raise RuntimeError("the session is closed")
        return super().run(request, cancel)

    def _transcribe(self, request: TranscribeRequest, cancel: CancelToken | None) -> Iterator[Event]:
        return transcribe(self.engine, request, self.n_threads, self.stats.load_seconds, cancel)

    def _bench(self, request: WhisperBenchRequest, cancel: CancelToken | None) -> Iterator[Event]:
        return run_bench(self.engine, self.model, self.n_threads, self.stats.load_seconds, request, cancel)

    handlers = RequestHandlers("the whisper.cpp runtime", {TranscribeRequest: _transcribe, WhisperBenchRequest: _bench})

    def close(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.close()
