"""One model's part of a comparison, inside its worker: quality (reference
log-probabilities, or a variant's per-token scores against them) and speed.

Each function drives a loaded Session and returns None when cancelled part-way,
so nothing half-measured is ever kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from app.compare.reference_cache import ReferenceEntry
from app.compare.results.metrics import reference_perplexity, summarize
from models.errors import WorkbenchError
from models.gguf.info import read_gguf_info
from runtimes.base import Session
from runtimes.events import Done, Error
from runtimes.llama_cpp.bench import BenchRequest
from runtimes.llama_cpp.scoring.logits_eval import ChunkResult, LogitsEvalRequest
from runtimes.llama_cpp.scoring.token_scores import TokenScores

Report = Callable[[float, str], None]  # (fraction of this model's work, what it is doing)
QUALITY_SHARE = 0.8  # of a model's progress; the speed test is the rest


def _eval_chunks(session: Session, request: LogitsEvalRequest, report: Report,
                 cancel: Any) -> tuple[list[ChunkResult], dict] | None:
    chunks: list[ChunkResult] = []
    for event in session.run(request, cancel):
        if isinstance(event, ChunkResult):
            chunks.append(event)
            report(QUALITY_SHARE * event.done / event.total, f"chunk {event.done}/{event.total}")
        elif isinstance(event, Error):
            raise WorkbenchError(f"evaluation failed: {event.message}")
        elif isinstance(event, Done):
            if event.result["done"] < event.result["n_chunk"]:
                return None  # cancelled part-way: nothing of this model is kept
            return chunks, event.result
    return None


def reference_quality(session: Session, entry: ReferenceEntry, text: bytes, n_ctx: int, n_chunks: int | None,
                      meta: dict[str, Any], report: Report, cancel: Any) -> dict[str, Any] | None:
    """The reference's own scores; computes and saves its log-probabilities unless cached."""
    if entry.exists():
        nll, saved = entry.load()
    else:
        entry.dir.mkdir(parents=True, exist_ok=True)
        request = LogitsEvalRequest(n_ctx, str(entry.base_path), text=text, n_chunks=n_chunks)
        result = _eval_chunks(session, request, report, cancel)
        if result is None:
            return None
        chunks, done = result
        nll = np.concatenate([c.nll for c in chunks])
        saved = {"n_chunk": done["n_chunk"], "eval_tps": done["tokens"] / done["eval_seconds"], **meta}
        entry.save(nll, saved)
    ppl, err = reference_perplexity(nll)
    return {"ppl": ppl, "ppl_err": err, "n_tokens_scored": int(nll.size), "n_chunks": saved["n_chunk"],
            "kld_mean": 0.0, "kld_median": 0.0, "kld_p99": 0.0, "kld_max": 0.0, "same_top_pct": 100.0,
            "rms_dp_pct": 0.0, "eval_tps": saved.get("eval_tps")}


def variant_quality(session: Session, entry: ReferenceEntry, n_ctx: int, report: Report,
                    cancel: Any) -> tuple[dict[str, Any], np.ndarray] | None:
    """A variant's summary and its per-token KL divergences (for the histogram)."""
    result = _eval_chunks(session, LogitsEvalRequest(n_ctx, str(entry.base_path)), report, cancel)
    if result is None:
        return None
    chunks, done = result
    scores = TokenScores.concat([c.scores for c in chunks])
    summary = {**summarize(scores.as_arrays()), "n_chunks": done["n_chunk"],
               "eval_tps": done["tokens"] / done["eval_seconds"]}
    return summary, np.asarray(scores.kld, dtype=np.float32)


def speed(session: Session, request: BenchRequest, report: Report, cancel: Any) -> dict[str, Any] | None:
    """Prompt and generation tokens/s, llama-bench style."""
    report(QUALITY_SHARE + 0.05, "speed")
    for event in session.run(request, cancel):
        if isinstance(event, Error):
            raise WorkbenchError(f"speed test failed: {event.message}")
        if isinstance(event, Done):
            if cancel is not None and cancel.cancelled:
                return None
            by_test = {("pp" if r["n_prompt"] else "tg"): r["avg_ts"] for r in event.result}
            threads = {r["n_threads"] for r in event.result}
            return {"pp_tps": by_test.get("pp"), "tg_tps": by_test.get("tg"),
                    "speed_threads": threads.pop() if len(threads) == 1 else None}
    return None


def file_facts(model: Path, is_reference: bool) -> dict[str, Any]:
    info = read_gguf_info(model)
    return {
        "role": "reference" if is_reference else "variant",
        "file": str(model),
        "quant": info.file_type_name,
        "size_bytes": info.file_size,
        "bpw": info.bits_per_weight,
        "n_params": info.parameter_count,
    }
