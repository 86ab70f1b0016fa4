"""The comparison history on disk.

A run folder (``data_dir()/compare/runs/<id>``) holds ``run.json`` (the
settings) and ``results/``: per model a finished record
(``<role>-<fingerprint>.json``), a variant's per-token KL divergences
(``.kld.npy``, for the histogram) and, between a concurrent quality pass and
its speed test, the quality part alone (``.quality.json``), so a cancelled
run never recomputes what it already has.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from app.compare.reference_cache import file_fingerprint
from app.paths import data_dir


def runs_dir() -> Path:
    return data_dir() / "compare" / "runs"


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)  # readers never see half a file


class RunFiles:
    """Where one run keeps each model's results."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.results = self.run_dir / "results"

    def stem(self, model: Path, is_reference: bool) -> str:
        return f"{'reference' if is_reference else 'variant'}-{file_fingerprint(Path(model))}"

    def record(self, stem: str) -> Path:
        return self.results / f"{stem}.json"

    def quality(self, stem: str) -> Path:
        return self.results / f"{stem}.quality.json"

    def token_kld(self, stem: str) -> Path:
        return self.results / f"{stem}.kld.npy"

    def save_token_kld(self, stem: str, kld: np.ndarray) -> str:
        tmp = self.results / f"{stem}.kld.part.npy"
        np.save(tmp, np.asarray(kld, dtype=np.float32))
        os.replace(tmp, self.token_kld(stem))
        return self.token_kld(stem).name


def list_runs(root: Path | None = None) -> list[dict[str, Any]]:
    """The run history, newest first: run.json plus how many results are saved."""
    runs = []
    for info_path in (root or runs_dir()).glob("*/run.json"):
        info = json.loads(info_path.read_text())
        info["run_dir"] = str(info_path.parent)
        info["n_results"] = len(_record_files(info_path.parent))
        runs.append(info)
    return sorted(runs, key=lambda r: r.get("updated", 0), reverse=True)


KV_AXIS_FILE = "kv-axis.json"  # a KV-types run's rows (every file at every K/V pair), see app.compare.kv.axis


def load_run_records(run_dir: Path) -> list[dict[str, Any]]:
    records = [json.loads(p.read_text()) for p in _record_files(Path(run_dir))]
    records = sorted(records, key=lambda r: (r["role"] != "reference", -(r.get("size_bytes") or 0)))
    axis = Path(run_dir) / KV_AXIS_FILE
    if not axis.is_file():
        return records
    rows = json.loads(axis.read_text())["rows"]
    covered = {r["file"] for r in rows if r.get("kv") == "f16"}
    return rows + [r for r in records if r["file"] not in covered]  # files a later plain run added


def load_token_kld(run_dir: Path, record: dict[str, Any]) -> np.ndarray | None:
    """A variant's per-token KL divergences, or None (the reference, or a run from before they were kept)."""
    name = record.get("token_kld")
    path = Path(run_dir) / "results" / name if name else None
    return np.load(path) if path is not None and path.is_file() else None


def _record_files(run_dir: Path) -> list[Path]:
    return sorted(p for p in (run_dir / "results").glob("*.json") if not p.name.endswith(".quality.json"))
