"""Runs a quantization comparison: the reference once, then the variants,
each in its own worker, with progress, cancel, resume and memory scheduling.

The run folder is keyed by the reference, the text and the settings; every
finished model's record is saved there as soon as it is done (see
``run_store``), so a cancelled or crashed run picks up where it stopped and
a later run with more variants reuses the finished ones.

Variants run concurrently when the fit estimate says they fit together in
the free memory (``schedule``), each with its share of the threads; their
speed tests then run one at a time with all threads, so tokens/s stay
comparable whatever the schedule. A speed test holds the process-wide gate
(``solo``) alone, so no other model work of ours (another variant, the Arena)
ever runs beside it.

Records read back from an earlier run are marked ``cached`` and carry the time
they were measured (``measured_at``); ``CompareConfig.remeasure`` measures every
model again (the reference's log-probabilities, a pure function of file, text
and settings, stay cached).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from app.compare import model_eval
from app.compare.compatibility import check_compatible
from app.compare.config import AnyCancel, CompareConfig, CompareOutcome, default_loader
from app.compare.reference_cache import ReferenceEntry, reference_key
from app.compare.run_store import RunFiles, list_runs, load_run_records, load_token_kld, runs_dir, write_json
from app.compare.schedule import (
    Budget,
    estimate_demand,
    next_wave,
    refuse_what_cannot_fit,
    threads_per_worker,
)
from app.compare.solo import GATE, SoloGate
from runtimes.base import CancelToken, Session
from runtimes.llama_cpp.options import LlamaLoadOptions

__all__ = ["CompareRunner", "CompareConfig", "CompareOutcome", "list_runs", "load_run_records", "load_token_kld",
           "reference_order", "runs_dir"]

Progress = Callable[[float, int, str], Any]  # (done, total, label); done counts models, fractional
Loader = Callable[[Path, LlamaLoadOptions], Session]


class CompareRunner:
    def __init__(self, spec: CompareConfig, loader: Loader | None = None, root: Path | None = None,
                 budget: Callable[[], Budget] | None = None, gate: SoloGate | None = None) -> None:
        self.spec = spec
        self.gate = gate or GATE
        self.loader = loader or default_loader
        self.budget = budget or Budget.available
        self.evaluated: list[str] = []  # models that needed a worker in this call (tests count them)
        self.waves: list[list[str]] = []  # the variants loaded together, wave by wave
        key = reference_key(spec.reference, spec.text, spec.n_ctx, spec.n_chunks, spec.logits_tag())
        self.reference = ReferenceEntry(key)
        run_key = hashlib.sha256(f"{key}|{spec.n_threads}|{spec.speed}|{spec.bench_prompt}|"
                                 f"{spec.bench_gen}|{spec.bench_reps}"
                                 f"{f'|d{spec.bench_depth}' if spec.bench_depth else ''}".encode()).hexdigest()[:16]
        self.run_dir = (root or runs_dir()) / run_key
        self.files = RunFiles(self.run_dir)
        self._lock = threading.Lock()
        self._fractions: dict[str, float] = {}

    def run(self, progress: Progress | None = None, cancel: CancelToken | None = None) -> CompareOutcome:
        spec = self.spec
        check_compatible(spec.reference, spec.variants)  # refuse before loading anything
        self.files.results.mkdir(parents=True, exist_ok=True)
        self._write_run_info()
        models = [Path(spec.reference), *map(Path, spec.variants)]
        done: dict[Path, dict[str, Any]] = {}
        for model in models:
            record = None if spec.remeasure else self._saved_record(model)
            if record is not None:
                done[model] = record
        todo = [m for m in models if m not in done]
        demands = {m: estimate_demand(m, spec.n_ctx, flash_attn=spec.flash_attn) for m in todo}
        refuse_what_cannot_fit(list(demands.values()), self.budget())  # before loading anything

        self._fractions = dict.fromkeys(map(str, done), 1.0)
        report = self._reporter(progress, len(models))
        outcome = lambda cancelled: CompareOutcome(  # noqa: E731 - records in the order given
            [done[m] for m in models if m in done], self.run_dir, cancelled, self.evaluated)
        if models[0] in todo:
            if cancel is not None and cancel.cancelled:
                return outcome(True)
            record = self._evaluate_alone(models[0], True, report, cancel)
            if record is None:
                return outcome(True)
            done[models[0]] = record
        pending = [demands[m] for m in todo if m != models[0]]
        max_parallel = spec.max_parallel or _default_parallel()
        while pending:
            if cancel is not None and cancel.cancelled:
                return outcome(True)
            wave = [d.path for d in next_wave(pending, self.budget(), max_parallel)]
            self.waves.append([str(m) for m in wave])
            finished = (self._evaluate_together(wave, report, cancel) if len(wave) > 1
                        else {wave[0]: self._evaluate_alone(wave[0], False, report, cancel)})
            done.update({m: r for m, r in finished.items() if r is not None})
            if any(r is None for r in finished.values()):
                return outcome(True)
            pending = [d for d in pending if d.path not in finished]
        if progress is not None:
            progress(len(models), len(models), "done")
        return outcome(False)

    # -- one model alone: quality and speed in one worker --------------------

    def _evaluate_alone(self, model: Path, is_reference: bool, report: Callable[[Path, float, str], None],
                        cancel: CancelToken | None) -> dict[str, Any] | None:
        stem = self.files.stem(model, is_reference)
        quality = self._saved_quality(stem)
        self._note_evaluated(model)
        session: Session | None = None
        try:
            with self.gate.shared(cancel) as free:  # loading and scoring: never beside a speed test
                if not free:
                    return None
                report(model, 0.0, "loading")
                session = self.loader(model, self.spec.load_options())
                if quality is None:
                    quality = self._quality(session, model, stem, is_reference, report, cancel)
                    if quality is None:
                        return None
                    quality["peak_rss_bytes"] = session.stats.peak_rss_bytes
                    write_json(self.files.quality(stem), quality)  # a cancel during the speed test keeps it
            speed = self._speed(session, model, report, cancel)
            if speed is None:
                return None
            peak = session.stats.peak_rss_bytes
        finally:
            if session is not None:
                session.close()
        return self._finish(model, stem, is_reference, quality, speed, peak)

    # -- a wave of variants: quality concurrently, then speed one at a time ---

    def _evaluate_together(self, wave: list[Path], report: Callable[[Path, float, str], None],
                           cancel: CancelToken | None) -> dict[Path, dict[str, Any] | None]:
        n_threads = threads_per_worker(self.spec.n_threads, len(wave))
        stop = AnyCancel(cancel)
        qualities: dict[Path, dict[str, Any] | None] = {}
        errors: list[BaseException] = []

        def quality_of(model: Path) -> None:
            stem = self.files.stem(model, False)
            try:
                quality = self._saved_quality(stem)
                if quality is None:
                    self._note_evaluated(model)
                    with self.gate.shared(stop) as free:  # never beside a speed test
                        if free:
                            report(model, 0.0, "loading")
                            with self.loader(model, self.spec.load_options(n_threads)) as session:
                                quality = self._quality(session, model, stem, False, report, stop)
                                if quality is not None:
                                    quality["peak_rss_bytes"] = session.stats.peak_rss_bytes
                                    write_json(self.files.quality(stem), quality)
                qualities[model] = quality
            except BaseException as exc:  # stop the siblings, re-raised below
                errors.append(exc)
                stop.inner.cancel()

        threads = [threading.Thread(target=quality_of, args=(m,), name=f"compare-{m.name}") for m in wave]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:  # Ctrl+C in the CLI: stop the workers before leaving
            stop.inner.cancel()
            for thread in threads:
                thread.join()
            raise
        if errors:
            raise errors[0]
        results: dict[Path, dict[str, Any] | None] = {}
        for model in wave:
            quality = qualities.get(model)
            if quality is None or (cancel is not None and cancel.cancelled):
                results[model] = None
                continue
            results[model] = self._speed_alone(model, quality, report, cancel)
        return results

    def _speed_alone(self, model: Path, quality: dict[str, Any], report: Callable[[Path, float, str], None],
                     cancel: CancelToken | None) -> dict[str, Any] | None:
        stem = self.files.stem(model, False)
        if not self.spec.speed:
            return self._finish(model, stem, False, quality, {"pp_tps": None, "tg_tps": None}, 0)
        if str(model) not in self.evaluated:  # resumed from a saved quality pass
            self._note_evaluated(model)
        report(model, model_eval.QUALITY_SHARE, "loading for the speed test")
        with self.loader(model, self.spec.load_options()) as session:  # loads beside nothing but our own wave
            speed = self._speed(session, model, report, cancel)
            peak = session.stats.peak_rss_bytes
        return None if speed is None else self._finish(model, stem, False, quality, speed, peak)

    # -- the pieces ----------------------------------------------------------

    def _quality(self, session: Session, model: Path, stem: str, is_reference: bool,
                 report: Callable[[Path, float, str], None], cancel: Any) -> dict[str, Any] | None:
        step = lambda fraction, what: report(model, fraction, what)  # noqa: E731
        spec = self.spec
        if is_reference:
            meta = {"reference": str(spec.reference), "text_name": spec.text_name}
            return model_eval.reference_quality(session, self.reference, spec.text, spec.n_ctx, spec.n_chunks,
                                                meta, step, cancel)
        result = model_eval.variant_quality(session, self.reference, spec.n_ctx, step, cancel)
        if result is None:
            return None
        quality, kld = result
        return {**quality, "token_kld": self.files.save_token_kld(stem, kld)}

    def _speed(self, session: Session, model: Path, report: Callable[[Path, float, str], None],
               cancel: CancelToken | None) -> dict[str, Any] | None:
        if not self.spec.speed:
            return {"pp_tps": None, "tg_tps": None}
        waiting = lambda: report(model, model_eval.QUALITY_SHARE, "speed test waits for other model work")  # noqa: E731
        with self.gate.solo(cancel, waiting) as alone:
            if not alone:
                return None
            return model_eval.speed(session, self.spec.bench_request(), lambda f, w: report(model, f, w), cancel)

    def _finish(self, model: Path, stem: str, is_reference: bool, quality: dict[str, Any],
                speed: dict[str, Any], peak_rss: int) -> dict[str, Any]:
        quality = dict(quality)
        peak_rss = max(peak_rss, quality.pop("peak_rss_bytes", 0))  # the quality worker's, when separate
        record = {**model_eval.file_facts(model, is_reference), **quality, **speed, "peak_rss_bytes": peak_rss,
                  "measured_at": time.time(), "cached": False}
        write_json(self.files.record(stem), record)
        self.files.quality(stem).unlink(missing_ok=True)
        with self._lock:
            self._fractions[str(model)] = 1.0
        return record

    # -- persistence and progress -----------------------------------------------

    def _saved_record(self, model: Path) -> dict[str, Any] | None:
        is_reference = model == Path(self.spec.reference)
        path = self.files.record(self.files.stem(model, is_reference))
        if not path.is_file() or (is_reference and not self.reference.exists()):
            return None
        record = json.loads(path.read_text())
        record["file"] = str(model)  # the same bytes may have moved
        record.setdefault("measured_at", path.stat().st_mtime)  # records from before the field
        record["cached"] = True
        return record

    def _saved_quality(self, stem: str) -> dict[str, Any] | None:
        if self.spec.remeasure:
            return None
        path = self.files.quality(stem)
        return json.loads(path.read_text()) if path.is_file() and self.reference.exists() else None

    def _note_evaluated(self, model: Path) -> None:
        with self._lock:
            self.evaluated.append(str(model))

    def _write_run_info(self) -> None:
        info_path = self.run_dir / "run.json"
        info = json.loads(info_path.read_text()) if info_path.is_file() else {"created": time.time()}
        spec = asdict(replace(self.spec, text=b""))
        spec.pop("text")
        spec.pop("remeasure")  # how this call ran, not what the run is
        spec["reference"] = str(self.spec.reference)
        known = info.get("variants", [])
        spec["variants"] = known + [str(v) for v in self.spec.variants if str(v) not in known]
        info.update(spec, updated=time.time(), text_sha256=hashlib.sha256(self.spec.text).hexdigest(),
                    reference_base=str(self.reference.base_path))
        write_json(info_path, info)

    def _reporter(self, progress: Progress | None, total: int) -> Callable[[Path, float, str], None]:
        """Overall progress: finished models count 1, running ones their fraction."""

        def report(model: Path, fraction: float, what: str) -> None:
            with self._lock:
                self._fractions[str(model)] = min(fraction, 1.0)
                if progress is not None:
                    progress(sum(self._fractions.values()), total, f"{model.name}: {what}")

        return report


def _default_parallel() -> int:
    from app.compare.schedule import default_max_parallel

    return default_max_parallel()


def reference_order(paths: list[Path]) -> Path:
    """Default reference: the largest file (F32 > F16/BF16 > Q8_0 for one model)."""
    return max(paths, key=lambda p: Path(p).stat().st_size)
