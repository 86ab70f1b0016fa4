"""KV-cache types as a comparison axis: every file at every K/V type pair.

The reference stays the reference file with an f16 cache. For each other
pair, one ordinary comparison runs (``CompareRunner``) whose variants are the
reference file itself plus the variants, loaded with that pair; the loader
wrapper below sets the cache types, so the runner needs no KV knowledge.
The reference file enters as a variant through a link in the pair's run
folder (the runner keys models by path). Every pair's run shares the cached
reference log-probabilities and is handed the f16 run's reference row, so
the reference loads once; each pair keeps its own run folder, so a cancelled
axis resumes pair by pair. The rows so far are saved with the f16 run
(``kv-axis.json``), so its history entry and ``compare --show`` show them all.

Each row gets ``kv`` (the label), ``type_k``/``type_v``, ``kv_bytes`` (the
cache llama.cpp allocates for the session's context, see ``kv_memory``),
``flash_attn`` as run, and ``kv_slow_path`` when llama.cpp runs the pair
through a slow path on the device used.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.compare.config import CompareConfig, CompareOutcome, default_loader
from app.compare.kv.memory import kv_cache_bytes
from app.compare.kv.types import DEFAULT, KvPair, current_backends, slow_path
from app.compare.run_store import KV_AXIS_FILE, write_json
from app.compare.runner import CompareRunner, Loader, Progress, runs_dir
from runtimes.base import CancelToken
from runtimes.llama_cpp.options import LlamaLoadOptions


class KvAxisRunner:
    def __init__(self, spec: CompareConfig, pairs: list[KvPair], loader: Loader | None = None,
                 root: Path | None = None, backends: tuple[str, ...] | None = None, **runner_args: Any) -> None:
        self.spec, self.loader = spec, loader or default_loader
        self.pairs = [DEFAULT, *(p for p in pairs if p != DEFAULT)]
        self.root = root or runs_dir()
        # Slow paths depend on where attention runs: the CPU unless layers are offloaded.
        offloaded = spec.load_options().n_gpu_layers > 0
        self.backends = backends or (current_backends() if offloaded else ("CPU",))
        self.runner_args = runner_args
        self.runners: list[CompareRunner] = []

    @property
    def run_dir(self) -> Path:
        """The f16 pair's run folder (each other pair has its own under ``<root>/kv``)."""
        return self.runners[0].run_dir if self.runners else self.root

    def run(self, progress: Progress | None = None, cancel: CancelToken | None = None) -> CompareOutcome:
        records: list[dict[str, Any]] = []
        evaluated: list[str] = []
        first_dir = None
        for index, pair in enumerate(self.pairs):
            runner = self._runner(pair)
            if self.runners:
                self._share_reference(self.runners[0], runner)
            self.runners.append(runner)
            first_dir = first_dir or runner.run_dir
            step = None if progress is None else self._step(progress, index, pair)
            outcome = runner.run(step, cancel)
            evaluated += [f"{m}@{pair.label}" for m in outcome.evaluated]
            records += [self._row(r, pair, runner) for r in outcome.records
                        if pair.is_default or r.get("role") != "reference"]
            write_json(first_dir / KV_AXIS_FILE, {"pairs": [p.label for p in self.pairs], "rows": records})
            if outcome.cancelled:
                return CompareOutcome(records, first_dir, True, evaluated)
        if progress is not None:
            progress(len(self.pairs), len(self.pairs), "done")
        return CompareOutcome(records, first_dir, False, evaluated)

    def _runner(self, pair: KvPair) -> CompareRunner:
        if pair.is_default:
            return CompareRunner(self.spec, self.loader, self.root, **self.runner_args)
        root = self.root / "kv" / pair.label.replace("/", "-")
        alias = root / "reference-as-variant" / Path(self.spec.reference).name
        alias.parent.mkdir(parents=True, exist_ok=True)
        if not alias.is_symlink() or Path(os.readlink(alias)) != Path(self.spec.reference).resolve():
            alias.unlink(missing_ok=True)
            alias.symlink_to(Path(self.spec.reference).resolve())
        spec = replace(self.spec, variants=[alias, *self.spec.variants])
        return CompareRunner(spec, self._loader_for(pair), root, **self.runner_args)

    @staticmethod
    def _share_reference(first: CompareRunner, runner: CompareRunner) -> None:
        """The reference row is the same f16 run for every pair: hand it over instead of loading it again."""
        stem = first.files.stem(Path(first.spec.reference), True)
        done, target = first.files.record(stem), runner.files.record(stem)
        if done.is_file() and not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(done, target)

    def _loader_for(self, pair: KvPair) -> Loader:
        reference = Path(self.spec.reference)

        def load(model: Path, options: LlamaLoadOptions):
            if Path(model) != reference:  # the reference itself always runs with f16 KV
                options = replace(options, type_k=pair.k, type_v=pair.v,
                                  flash_attn=options.flash_attn or pair.needs_flash_attn)
            return self.loader(model, options)

        return load

    def _row(self, record: dict[str, Any], pair: KvPair, runner: CompareRunner) -> dict[str, Any]:
        row = dict(record)
        if row.get("token_kld") and not pair.is_default:  # the same name as the f16 run's: point at this pair's
            row["token_kld"] = str(runner.files.results / row["token_kld"])
        path = Path(row["file"])
        if path.is_symlink():  # the reference file, run as a variant at this pair
            row["file"] = str(Path(self.spec.reference))
            path = Path(self.spec.reference)
        n_ctx = self.spec.load_options().n_ctx
        row.update(kv=pair.label, type_k=pair.k, type_v=pair.v,
                   kv_bytes=kv_cache_bytes(path, n_ctx, pair.k, pair.v)["total"], kv_ctx=n_ctx,
                   flash_attn=self.spec.flash_attn or (pair.needs_flash_attn and row.get("role") != "reference"),
                   kv_slow_path=slow_path(pair, self.backends))
        return row

    def _step(self, progress: Progress, index: int, pair: KvPair) -> Progress:
        total = len(self.pairs)
        return lambda done, n, label: progress(index + (done / n if n else 0), total, f"KV {pair.label}: {label}")
