"""The recommendation line: smallest variant within the KLD tolerance."""

from __future__ import annotations

from app.compare.recommend import recommend

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
