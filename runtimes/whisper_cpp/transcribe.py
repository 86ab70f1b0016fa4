"""A TranscribeRequest as a stream of Segment events, then Done.

whisper_full runs on a thread (it releases the GIL); its new-segment callback
puts segments on a queue that this generator drains, so each segment is
yielded as soon as whisper.cpp finishes its window. Cancelling (the token, or
closing the generator) makes the abort callback return True, which whisper.cpp
checks after every encoder and decoder pass.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from runtimes.audio_decode import SPEECH_RATE, audio_samples
from runtimes.base import CancelToken
from runtimes.errors import TranscriptionFailed, UnsupportedLanguage
from runtimes.events import Done, Event, GenerationStats, Segment
from runtimes.memory import own_peak_rss
from runtimes.requests import TranscribeRequest
from runtimes.whisper_cpp.engine import DecodeSettings, RawSegment, WhisperEngine

_FINISHED = object()


def decode_settings(engine: WhisperEngine, request: TranscribeRequest, n_threads: int) -> DecodeSettings:
    """Check the request against the model; raise UnsupportedLanguage with the choices."""
    language = (request.language or "auto").strip().lower()
    if language != "auto" and language not in engine.languages():
        raise UnsupportedLanguage(f"unknown language {request.language!r}; use auto or one of: "
                                  f"{', '.join(engine.languages())}")
    if not engine.multilingual and (request.translate or language not in ("auto", "en")):
        what = "translate" if request.translate else f"transcribe {language!r}"
        raise UnsupportedLanguage(f"this is an English-only model; it cannot {what} (use a multilingual model)")
    threads = request.n_threads or n_threads
    if threads < 1:
        raise ValueError("n_threads must be >= 1")
    return DecodeSettings(language, request.translate, request.initial_prompt, threads)


def transcribe(engine: WhisperEngine, request: TranscribeRequest, n_threads: int, load_s: float,
               cancel: CancelToken | None) -> Iterator[Event]:
    settings = decode_settings(engine, request, n_threads)
    samples = audio_samples(request.audio, SPEECH_RATE)
    audio_s = samples.size / SPEECH_RATE
    t0 = time.perf_counter()
    first_segment_s: float | None = None
    n_segments = 0
    for segment in stream_segments(engine, samples, settings, cancel):
        if first_segment_s is None:
            first_segment_s = time.perf_counter() - t0
        n_segments += 1
        yield Segment(segment.text, segment.start_s, segment.end_s)
    wall = time.perf_counter() - t0
    cancelled = cancel is not None and cancel.cancelled
    peak = own_peak_rss()
    result: dict[str, Any] = {
        "language": engine.detected_language(),
        "audio_s": audio_s,
        "transcribe_s": wall,
        "rtf": audio_s / wall if wall > 0 else 0.0,  # audio seconds per wall second
        "first_segment_s": first_segment_s,
        "n_segments": n_segments,
        "load_s": load_s,
        "peak_rss_bytes": peak,
        "n_threads": settings.n_threads,
        "translate": settings.translate,
        "cancelled": cancelled,
    }
    stats = GenerationStats(load_s=load_s, peak_rss_bytes=peak, stop_reason="cancelled" if cancelled else "eos")
    yield Done(stats=stats, result=result)


def stream_segments(engine: WhisperEngine, samples: np.ndarray, settings: DecodeSettings,
                    cancel: CancelToken | None) -> Iterator[RawSegment]:
    """Segments as whisper.cpp produces them. Raises TranscriptionFailed if whisper_full
    fails (not when it was cancelled: then it just stops early)."""
    found: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def should_abort() -> bool:
        return stop.is_set() or (cancel is not None and cancel.cancelled)

    def work() -> None:
        try:
            params = engine.params(settings)
            code = engine.full(samples, params, lambda segs: [found.put(s) for s in segs], should_abort)
            found.put((_FINISHED, code))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            found.put((_FINISHED, exc))

    thread = threading.Thread(target=work, name="whisper_full", daemon=True)
    thread.start()
    try:
        while True:
            item = found.get()
            if isinstance(item, tuple) and item[0] is _FINISHED:
                outcome = item[1]
                break
            yield item
    finally:
        stop.set()  # the consumer went away early: abort at the next pass
        thread.join()
    if isinstance(outcome, BaseException):
        raise outcome
    if outcome != 0 and not (cancel is not None and cancel.cancelled):
        raise TranscriptionFailed(f"whisper.cpp failed to transcribe (whisper_full returned {outcome})")
