"""A loaded whisper.cpp context, driven through pywhispercpp's binding module.

``_pywhispercpp`` is the C API one to one (pywhispercpp.model.Model is a thin
layer over it). Using it directly gives what that layer hides: whisper_full's
return code (failure vs. success), a clean abort, and the detected language.
whisper_full releases the GIL while it computes, so it runs on a thread while
the caller streams segments; callbacks take the GIL only for a moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runtimes.whisper_cpp.options import WhisperLoadOptions


@dataclass(frozen=True)
class RawSegment:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class DecodeSettings:
    language: str = "auto"  # a whisper language code, or "auto" to detect it
    translate: bool = False
    initial_prompt: str = ""
    n_threads: int = 1


class WhisperEngine:
    def __init__(self, model: Path, options: WhisperLoadOptions) -> None:
        import _pywhispercpp as pw

        self._pw = pw
        self.options = options
        cparams = pw.whisper_context_default_params()
        cparams.use_gpu = options.use_gpu
        cparams.gpu_device = options.gpu_index
        if options.flash_attn is not None:
            cparams.flash_attn = options.flash_attn
        # The binding returns a null context on failure and cannot say so; models/whisper_validate
        # has ruled out every file problem it knows of, and the worker process contains the rest.
        self.ctx: Any = pw.whisper_init_from_file_with_params(str(model), cparams)
        self.multilingual = bool(pw.whisper_is_multilingual(self.ctx))
        self.model_type = pw.whisper_model_type_readable(self.ctx)

    @staticmethod
    def languages() -> list[str]:
        import _pywhispercpp as pw

        return [pw.whisper_lang_str(i) for i in range(pw.whisper_lang_max_id() + 1)]

    def params(self, settings: DecodeSettings) -> Any:
        """whisper_full_params as pywhispercpp.model.Model sets them, plus the request's settings."""
        pw = self._pw
        beam = self.options.beam_size > 1
        strategy = pw.whisper_sampling_strategy
        params = pw.whisper_full_default_params(strategy.WHISPER_SAMPLING_BEAM_SEARCH if beam
                                                else strategy.WHISPER_SAMPLING_GREEDY)
        if beam:
            params.beam_search = {"beam_size": self.options.beam_size, "patience": -1.0}
        if not self.options.temperature_fallback:
            params.temperature_inc = 0.0
        params.n_threads = settings.n_threads
        params.language = settings.language or "auto"
        params.translate = settings.translate
        params.initial_prompt = settings.initial_prompt
        params.print_progress = False
        params.print_realtime = False
        return params

    def full(self, samples: np.ndarray, params: Any, on_segments: Callable[[list[RawSegment]], None] | None,
             should_abort: Callable[[], bool] | None) -> int:
        """Run whisper_full; returns its code (0: done; non-zero: failed or aborted)."""
        pw = self._pw
        if on_segments is not None:
            def new_segments(ctx: Any, n_new: int, *_: Any) -> None:
                n = pw.whisper_full_n_segments(ctx)
                on_segments(self._segments(ctx, n - n_new, n))

            pw.assign_new_segment_callback(params, new_segments)
        if should_abort is not None:
            pw.assign_abort_callback(params, should_abort)
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        return pw.whisper_full(self.ctx, params, samples, samples.size)

    def segments(self) -> list[RawSegment]:
        return self._segments(self.ctx, 0, self._pw.whisper_full_n_segments(self.ctx))

    def _segments(self, ctx: Any, start: int, end: int) -> list[RawSegment]:
        pw = self._pw
        out = []
        for i in range(start, end):
            text = pw.whisper_full_get_segment_text(ctx, i)
            if isinstance(text, bytes):
                text = text.decode("utf-8", errors="replace")
            # whisper.cpp counts time in 10 ms steps
            t0, t1 = pw.whisper_full_get_segment_t0(ctx, i), pw.whisper_full_get_segment_t1(ctx, i)
            out.append(RawSegment(text.strip(), t0 / 100.0, t1 / 100.0))
        return out

    def detected_language(self) -> str:
        return self._pw.whisper_lang_str(self._pw.whisper_full_lang_id(self.ctx))

    def close(self) -> None:
        ctx, self.ctx = self.ctx, None
        if ctx is not None:
            self._pw.whisper_free(ctx)
