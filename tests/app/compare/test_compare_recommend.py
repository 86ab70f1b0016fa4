"""The recommendation line: smallest variant within the KLD tolerance."""

from __future__ import annotations

from app.compare.results.recommend import recommend

MIB = 2**20


def rec(quant: str | None, size_mib: float, kld: float, role: str = "variant") -> dict:
    return {
        "role": role,
        "file": f"/m/model-{quant or 'x'}.gguf",
        "quant": quant,
        "size_bytes": int(size_mib * MIB),
        "kld_mean": kld,
    }


REF = rec("F32", 4000, 0.0, role="reference")


def test_smallest_variant_within_tolerance_is_named() -> None:
    records = [REF, rec("Q8_0", 1100, 0.001), rec("Q5_K_M", 700, 0.008), rec("Q2_K", 400, 0.2)]
    line = recommend(records)
    assert line.startswith("Q5_K_M is the smallest variant within 0.01 KLD of the reference")
    assert "700.0 MiB" in line


def test_a_tighter_tolerance_picks_a_bigger_variant() -> None:
    records = [REF, rec("Q8_0", 1100, 0.001), rec("Q5_K_M", 700, 0.008)]
    assert recommend(records, tolerance=0.005).startswith("Q8_0 is the smallest")


def test_none_within_tolerance_names_the_closest() -> None:
    line = recommend([REF, rec("Q3_K_M", 500, 0.05), rec("Q2_K", 400, 0.2)])
    assert line.startswith("No variant is within 0.01 KLD") and "closest is Q3_K_M" in line


def test_reference_alone_or_unnamed_quant() -> None:
    assert recommend([REF]) == ""
    assert recommend([REF, rec(None, 10, 0.0)]).startswith("model-x is the smallest")


def test_kv_rows_trade_file_plus_cache_memory() -> None:
    from app.compare.results.pareto import pareto_points

    def kv_row(quant, size_mib, kv, kv_mib, kld, recipe=None):
        return {**rec(quant, size_mib, kld), "kv": kv, "kv_bytes": int(kv_mib * MIB), "kv_ctx": 4096,
                "recipe": recipe}

    records = [{**REF, "kv": "f16", "kv_bytes": 512 * MIB}, kv_row("Q4_K_M", 500, "f16", 512, 0.009),
               kv_row("Q4_K_M", 500, "q8_0", 272, 0.0085, "quality"), kv_row("Q2_K", 300, "q4_0", 144, 0.3)]
    line = recommend(records)
    assert line.startswith("Q4_K_M+quality @ q8_0 KV is the smallest variant within 0.01 KLD")
    assert "500.0 MiB file + 272.0 MiB KV cache at 4096 tokens" in line
    front = {p.label: p.on_front for p in pareto_points(records)}
    assert front == {"F32": True, "Q4_K_M": False, "Q4_K_M+quality @ q8_0 KV": True, "Q2_K @ q4_0 KV": True}
