"""Runs a quantization comparison: reference once, then each variant in its
own worker, with progress, cancel, and resume.

A run folder (``data_dir()/compare/runs/<id>``) is keyed by the reference,
the text and the settings; every finished model's record is saved there as
soon as it is done, so a cancelled or crashed run picks up where it stopped
and a later run with more variants reuses the finished ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.compare.compatibility import check_compatible
from app.compare.metrics import reference_perplexity, summarize
from app.compare.reference_cache import ReferenceEntry, file_fingerprint, reference_key
from app.paths import data_dir
from models.errors import WorkbenchError
from models.gguf_info import read_gguf_info
from runtimes.base import CancelToken, Session
from runtimes.events import Done, Error
from runtimes.llama_cpp.bench import BenchRequest
from runtimes.llama_cpp.logits_eval import ChunkResult, LogitsEvalRequest
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.token_scores import TokenScores

Progress = Callable[[float, int, str], Any]  # (done, total, label); done counts models, fractional
Loader = Callable[[Path, LlamaLoadOptions], Session]


class CompareCancelled(WorkbenchError):
    pass


@dataclass
class CompareSpec:
    reference: Path
    variants: list[Path]
    text: bytes
    text_name: str = "text"
    n_ctx: int = 512
    n_chunks: int | None = None
    n_threads: int | None = None
    flash_attn: bool = False
    speed: bool = True  # also measure pp/tg tokens/s (llama-bench style, small sizes)
    bench_prompt: int = 128
    bench_gen: int = 32
    bench_reps: int = 2

    def load_options(self) -> LlamaLoadOptions:
        return LlamaLoadOptions(n_ctx=self.n_ctx, n_batch=min(2048, self.n_ctx), n_threads=self.n_threads,
                                flash_attn=self.flash_attn)

    def logits_tag(self) -> str:
        return f"fa={int(self.flash_attn)}"


def runs_dir() -> Path:
    return data_dir() / "compare" / "runs"


def _default_loader(model: Path, options: LlamaLoadOptions) -> Session:
    from runtimes.registry import get_runtime

    return get_runtime("llama.cpp").load(model, options)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


@dataclass
class CompareOutcome:
    records: list[dict[str, Any]]
    run_dir: Path
    cancelled: bool = False
    evaluated: list[str] = field(default_factory=list)


class CompareRunner:
    def __init__(self, spec: CompareSpec, loader: Loader | None = None, root: Path | None = None) -> None:
        self.spec = spec
        self.loader = loader or _default_loader
        self.evaluated: list[str] = []  # models that needed a worker in this call (tests count them)
        key = reference_key(spec.reference, spec.text, spec.n_ctx, spec.n_chunks, spec.logits_tag())
        self.reference = ReferenceEntry(key)
        run_key = hashlib.sha256(f"{key}|{spec.n_threads}|{spec.speed}|{spec.bench_prompt}|"
                                 f"{spec.bench_gen}|{spec.bench_reps}".encode()).hexdigest()[:16]
        self.run_dir = (root or runs_dir()) / run_key

    def run(self, progress: Progress | None = None, cancel: CancelToken | None = None) -> CompareOutcome:
        spec = self.spec
        check_compatible(spec.reference, spec.variants)  # refuse before loading anything
        (self.run_dir / "results").mkdir(parents=True, exist_ok=True)
        self._write_run_info()
        models = [spec.reference, *spec.variants]
        records: list[dict[str, Any]] = []
        for index, model in enumerate(models):
            if cancel is not None and cancel.cancelled:
                return CompareOutcome(records, self.run_dir, True, self.evaluated)
            report = self._reporter(progress, index, len(models), Path(model).name)
            record = self._saved_record(model)
            if record is None:
                record = self._evaluate(Path(model), index == 0, report, cancel)
                if record is None:
                    return CompareOutcome(records, self.run_dir, True, self.evaluated)
                _write_json(self._record_path(model), record)
            records.append(record)
        if progress is not None:
            progress(len(models), len(models), "done")
        return CompareOutcome(records, self.run_dir, False, self.evaluated)

    # -- persistence -------------------------------------------------------

    def _record_path(self, model: Path) -> Path:
        role = "reference" if Path(model) == Path(self.spec.reference) else "variant"
        return self.run_dir / "results" / f"{role}-{file_fingerprint(Path(model))}.json"

    def _saved_record(self, model: Path) -> dict[str, Any] | None:
        path = self._record_path(model)
        if not path.is_file() or (Path(model) == Path(self.spec.reference) and not self.reference.exists()):
            return None
        record = json.loads(path.read_text())
        record["file"] = str(model)  # the same bytes may have moved
        return record

    def _write_run_info(self) -> None:
        info_path = self.run_dir / "run.json"
        info = json.loads(info_path.read_text()) if info_path.is_file() else {"created": time.time()}
        spec = asdict(self.spec)
        spec.pop("text")
        spec["reference"] = str(self.spec.reference)
        known = info.get("variants", [])
        spec["variants"] = known + [str(v) for v in self.spec.variants if str(v) not in known]
        info.update(spec, updated=time.time(), text_sha256=hashlib.sha256(self.spec.text).hexdigest(),
                    reference_base=str(self.reference.base_path))
        _write_json(info_path, info)

    # -- evaluation --------------------------------------------------------

    @staticmethod
    def _reporter(progress: Progress | None, index: int, total: int, name: str) -> Callable[[float, str], None]:
        def report(fraction: float, what: str) -> None:
            if progress is not None:
                progress(index + min(fraction, 1.0), total, f"{name}: {what}")

        return report

    def _evaluate(self, model: Path, is_reference: bool, report: Callable[[float, str], None],
                  cancel: CancelToken | None) -> dict[str, Any] | None:
        spec = self.spec
        report(0.0, "loading")
        self.evaluated.append(str(model))
        session = self.loader(model, spec.load_options())
        try:
            if is_reference:
                quality = self._reference_quality(session, report, cancel)
            else:
                quality = self._variant_quality(session, report, cancel)
            if quality is None:
                return None
            speed = self._speed(session, report, cancel) if spec.speed else {"pp_tps": None, "tg_tps": None}
            if speed is None:
                return None
            peak_rss = session.stats.peak_rss_bytes
        finally:
            session.close()
        info = read_gguf_info(model)
        return {
            "role": "reference" if is_reference else "variant",
            "file": str(model),
            "quant": info.file_type_name,
            "size_bytes": info.file_size,
            "bpw": info.bits_per_weight,
            "n_params": info.parameter_count,
            **quality,
            **speed,
            "peak_rss_bytes": peak_rss,
        }

    def _eval_chunks(self, session: Session, request: LogitsEvalRequest, report: Callable[[float, str], None],
                     cancel: CancelToken | None, share: float) -> tuple[list[ChunkResult], dict] | None:
        chunks: list[ChunkResult] = []
        for event in session.run(request, cancel):
            if isinstance(event, ChunkResult):
                chunks.append(event)
                report(share * event.done / event.total, f"chunk {event.done}/{event.total}")
            elif isinstance(event, Error):
                raise WorkbenchError(f"evaluation failed: {event.message}")
            elif isinstance(event, Done):
                if event.result["done"] < event.result["n_chunk"]:
                    return None  # cancelled part-way: nothing of this model is kept
                return chunks, event.result
        return None

    def _reference_quality(self, session: Session, report: Callable[[float, str], None],
                           cancel: CancelToken | None) -> dict[str, Any] | None:
        spec, entry = self.spec, self.reference
        if entry.exists():
            nll, meta = entry.load()
        else:
            entry.dir.mkdir(parents=True, exist_ok=True)
            request = LogitsEvalRequest(spec.n_ctx, str(entry.base_path), text=spec.text, n_chunks=spec.n_chunks)
            result = self._eval_chunks(session, request, report, cancel, 0.8)
            if result is None:
                return None
            chunks, done = result
            nll = np.concatenate([c.nll for c in chunks])
            meta = {"n_chunk": done["n_chunk"], "eval_tps": done["tokens"] / done["eval_seconds"],
                    "reference": str(spec.reference), "text_name": spec.text_name}
            entry.save(nll, meta)
        ppl, err = reference_perplexity(nll)
        return {"ppl": ppl, "ppl_err": err, "n_tokens_scored": int(nll.size), "n_chunks": meta["n_chunk"],
                "kld_mean": 0.0, "kld_median": 0.0, "kld_p99": 0.0, "kld_max": 0.0, "same_top_pct": 100.0,
                "rms_dp_pct": 0.0, "eval_tps": meta.get("eval_tps")}

    def _variant_quality(self, session: Session, report: Callable[[float, str], None],
                         cancel: CancelToken | None) -> dict[str, Any] | None:
        request = LogitsEvalRequest(self.spec.n_ctx, str(self.reference.base_path))
        result = self._eval_chunks(session, request, report, cancel, 0.8)
        if result is None:
            return None
        chunks, done = result
        scores = TokenScores.concat([c.scores for c in chunks])
        return {**summarize(scores.as_arrays()), "n_chunks": done["n_chunk"],
                "eval_tps": done["tokens"] / done["eval_seconds"]}

    def _speed(self, session: Session, report: Callable[[float, str], None],
               cancel: CancelToken | None) -> dict[str, Any] | None:
        spec = self.spec
        request = BenchRequest((min(spec.bench_prompt, spec.n_ctx),), (min(spec.bench_gen, spec.n_ctx),),
                               spec.bench_reps)
        report(0.85, "speed")
        for event in session.run(request, cancel):
            if isinstance(event, Error):
                raise WorkbenchError(f"speed test failed: {event.message}")
            if isinstance(event, Done):
                if cancel is not None and cancel.cancelled:
                    return None
                by_test = {("pp" if r["n_prompt"] else "tg"): r["avg_ts"] for r in event.result}
                return {"pp_tps": by_test.get("pp"), "tg_tps": by_test.get("tg")}
        return None


def list_runs(root: Path | None = None) -> list[dict[str, Any]]:
    """The run history, newest first: run.json plus how many results are saved."""
    runs = []
    for info_path in (root or runs_dir()).glob("*/run.json"):
        info = json.loads(info_path.read_text())
        info["run_dir"] = str(info_path.parent)
        info["n_results"] = len(list((info_path.parent / "results").glob("*.json")))
        runs.append(info)
    return sorted(runs, key=lambda r: r.get("updated", 0), reverse=True)


def load_run_records(run_dir: Path) -> list[dict[str, Any]]:
    records = [json.loads(p.read_text()) for p in sorted((Path(run_dir) / "results").glob("*.json"))]
    return sorted(records, key=lambda r: (r["role"] != "reference", -(r.get("size_bytes") or 0)))


def reference_order(paths: Iterable[Path]) -> Path:
    """Default reference: the largest file (F32 > F16/BF16 > Q8_0 for one model)."""
    return max(paths, key=lambda p: Path(p).stat().st_size)
