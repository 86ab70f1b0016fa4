"""llama-bench's markdown table and test labels for bench records."""

from __future__ import annotations

from typing import Any


def bench_test_name(record: dict[str, Any]) -> str:
    """llama-bench's test label: pp512, tg128 or pp512+tg128."""
    if record["n_prompt"] and not record["n_gen"]:
        return f"pp{record['n_prompt']}"
    if record["n_gen"] and not record["n_prompt"]:
        return f"tg{record['n_gen']}"
    return f"pp{record['n_prompt']}+tg{record['n_gen']}"


def bench_markdown(records: list[dict[str, Any]]) -> str:
    header = "| model | size | params | backend | threads | test | t/s | CPU ms/tok |"
    lines = [header, "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in records:
        lines.append(
            f"| {r['model_type']} | {r['model_size'] / 2**20:.2f} MiB | {r['model_n_params'] / 1e6:.2f} M"
            f" | {r['backends']} | {r['n_threads']} | {bench_test_name(r)} | {r['avg_ts']:.2f} ± {r['stddev_ts']:.2f}"
            f" | {r['cpu_ms_per_token']:.3f} |"
        )
    return "\n".join(lines)
