"""Comparison records as JSON, CSV or a Markdown table."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

# The CLI contract's fields first, then the extra statistics.
COLUMNS = (
    "file", "size_bytes", "bpw", "ppl", "ppl_err", "kld_mean", "kld_median", "kld_p99", "same_top_pct",
    "rms_dp_pct", "pp_tps", "tg_tps", "peak_rss_bytes",
    "role", "quant", "kld_max", "kld_err", "same_top_err", "rms_dp_err", "ln_ppl_ratio", "ln_ppl_ratio_err",
    "n_tokens_scored", "n_chunks", "eval_tps", "speed_threads", "measured_at", "cached",
    "recipe", "recipe_rules", "kv", "type_k", "type_v", "kv_bytes", "kv_ctx", "flash_attn", "kv_slow_path",
)


def to_json(records: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> str:
    return json.dumps({"meta": meta or {}, "results": [_ordered(r) for r in records]}, indent=2)


def to_csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().rstrip("\n")


def _fmt(value: Any, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def to_markdown(records: list[dict[str, Any]]) -> str:
    kv = any(r.get("kv") for r in records)
    lines = [
        "| file | quant |" + (" KV | KV MiB |" if kv else "") + " size MiB | bpw | PPL | KLD mean | KLD median "
        "| KLD p99 | same top % | RMS Δp % | pp t/s | tg t/s | peak RSS MiB |",
        "| --- | --- |" + (" --- | ---: |" if kv else "") + " ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: |",
    ]
    for r in records:
        name = Path(r["file"]).name + (" (ref)" if r.get("role") == "reference" else "")
        quant = (r.get("quant") or "?") + (f" + {r['recipe']}" if r.get("recipe") else "")
        kv_cells = f" {_kv_label(r)} | {_fmt(_mib(r.get('kv_bytes')), 2)} |" if kv else ""
        lines.append(
            f"| {name} | {quant} |{kv_cells} {r['size_bytes'] / 2**20:.2f} | {_fmt(r['bpw'], 2)}"
            f" | {r['ppl']:.4f} ± {r['ppl_err']:.4f} | {r['kld_mean']:.6f} | {r['kld_median']:.6f}"
            f" | {r['kld_p99']:.6f} | {r['same_top_pct']:.3f} | {r['rms_dp_pct']:.3f}"
            f" | {_fmt(r['pp_tps'], 1)} | {_fmt(r['tg_tps'], 1)} | {r['peak_rss_bytes'] / 2**20:.1f} |"
        )
    return "\n".join(lines)


def _mib(n_bytes: int | None) -> float | None:
    return None if n_bytes is None else n_bytes / 2**20


def _kv_label(record: dict[str, Any]) -> str:
    """The K/V types, with a mark when llama.cpp runs them through a slow path on this device."""
    return (record.get("kv") or "f16") + (" (slow path)" if record.get("kv_slow_path") else "")


def render(records: list[dict[str, Any]], fmt: str, meta: dict[str, Any] | None = None) -> str:
    if fmt == "json":
        return to_json(records, meta)
    if fmt == "csv":
        return to_csv(records)
    return to_markdown(records)


def _ordered(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in COLUMNS} | {k: v for k, v in record.items() if k not in COLUMNS}
