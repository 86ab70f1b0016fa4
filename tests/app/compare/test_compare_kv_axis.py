"""KV-cache types as a comparison axis: pairs, slow paths, KV bytes as llama.cpp allocates them, and a real run."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from app.cli.main import main
from app.compare.kv.memory import kv_cache_bytes
from app.compare.kv.types import KvPair, parse_kv_types, slow_path

_KV_LINE = re.compile(r"llama_kv_cache: size = +([\d.]+) MiB")
_LOAD = """
import sys, llama_cpp
m, n_ctx, k, v = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t = lambda s: getattr(llama_cpp, "GGML_TYPE_" + s.upper())
llama_cpp.Llama(m, n_ctx=n_ctx, type_k=t(k), type_v=t(v), flash_attn=v != "f16", verbose=True, n_threads=1)
"""


def llama_cpp_kv_mib(model, n_ctx: int, k: str, v: str) -> float:
    """llama.cpp's own figure: the sum of its 'llama_kv_cache: size = X MiB' load-log lines."""
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(model), str(n_ctx), k, v],
                          capture_output=True, text=True, timeout=120)
    sizes = [float(s) for s in _KV_LINE.findall(proc.stderr + proc.stdout)]
    assert proc.returncode == 0 and sizes, proc.stderr[-2000:]
    return sum(sizes)


def test_pairs_start_with_f16_and_keep_mixed_types():
    assert parse_kv_types("q8_0, q4_0/f16,q8_0") == [KvPair(), KvPair("q8_0", "q8_0"), KvPair("q4_0", "f16")]
    assert KvPair("q4_0", "f16").label == "q4_0/f16" and not KvPair("q4_0", "f16").needs_flash_attn
    assert KvPair("f16", "q8_0").needs_flash_attn
    with pytest.raises(ValueError, match="q3_k"):
        parse_kv_types("f16,q3_k")


def test_slow_paths_are_marked_only_where_llama_cpp_has_them():
    assert "mixed K/V" in slow_path(KvPair("q8_0", "f16"), ("CUDA", "CPU"))
    assert "q5_1 K/V" in slow_path(KvPair("q5_1", "q5_1"), ("CUDA", "CPU"))
    assert slow_path(KvPair("q8_0", "q8_0"), ("CUDA", "CPU")) is None
    assert slow_path(KvPair("q8_0", "f16"), ("CUDA", "CPU"), fa_all_quants=True) is None
    assert slow_path(KvPair("q8_0", "f16"), ("CPU",)) is None


@pytest.mark.parametrize(("n_ctx", "k", "v"), [(300, "q8_0", "f16"), (512, "q4_0", "q4_0"), (64, "f16", "q5_1")])
def test_kv_bytes_match_llama_cpp_log(demo_model, n_ctx, k, v):
    ours = kv_cache_bytes(demo_model, n_ctx, k, v)["total"] / 2**20
    assert ours == pytest.approx(llama_cpp_kv_mib(demo_model, n_ctx, k, v), abs=0.006)  # the log rounds to 0.01


def test_compare_runs_every_file_at_every_kv_type(demo_ladder, tmp_path, capsys):
    ref, q4 = demo_ladder["F32"], demo_ladder["Q4_K_M"]
    assert main(["compare", str(ref), str(q4), "--kv-types", "f16,q8_0", "-c", "64", "--chunks", "2",
                 "-fa", "off", "--no-speed", "--parallel", "1", "-o", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert sorted((r["file"], r["kv"]) for r in rows) == sorted(
        (str(f), kv) for f in (ref, q4) for kv in ("f16", "q8_0"))
    by = {(r["file"], r["kv"]): r for r in rows}
    reference = by[(str(ref), "f16")]
    assert reference["role"] == "reference" and reference["kld_mean"] == 0.0
    assert [r["role"] for r in rows].count("reference") == 1
    assert 0 < by[(str(ref), "q8_0")]["kld_mean"] < by[(str(q4), "f16")]["kld_mean"]
    assert by[(str(ref), "q8_0")]["flash_attn"] is True and reference["flash_attn"] is False  # quantized V needs FA
    for (file, kv), row in by.items():
        pair = parse_kv_types(kv)[-1]
        assert row["kv_bytes"] / 2**20 == pytest.approx(llama_cpp_kv_mib(file, 64, pair.k, pair.v), abs=0.006)


def test_reference_loads_once_and_a_rerun_resumes(demo_ladder, tmp_path):
    from app.cli.compare_cmd import read_text
    from app.compare.config import CompareConfig
    from app.compare.kv.axis import KvAxisRunner

    ref, q4 = demo_ladder["F32"], demo_ladder["Q4_K_M"]
    text, name = read_text(None)
    spec = CompareConfig(ref, [q4], text, name, 64, 2, speed=False, max_parallel=1)
    pairs = parse_kv_types("q4_0")
    first = KvAxisRunner(spec, pairs, root=tmp_path).run()
    as_variant = f"reference-as-variant/{ref.name}@q4_0"
    assert sorted(e.split("/kv/q4_0/")[-1] for e in first.evaluated) == sorted(
        [f"{ref}@f16", f"{q4}@f16", as_variant, f"{q4}@q4_0"])  # the f16 reference row is loaded once
    from app.compare.run_store import load_token_kld

    q4_rows = {r["kv"]: r for r in first.records if r["file"] == str(q4)}
    klds = {kv: load_token_kld(first.run_dir, r) for kv, r in q4_rows.items()}  # as the histogram reads them
    assert klds["f16"] is not None and klds["q4_0"] is not None
    assert float(klds["q4_0"].mean()) == pytest.approx(q4_rows["q4_0"]["kld_mean"], rel=1e-3)
    assert float(klds["f16"].mean()) == pytest.approx(q4_rows["f16"]["kld_mean"], rel=1e-3)
    assert q4_rows["q4_0"]["kld_mean"] != q4_rows["f16"]["kld_mean"]
    from app.compare.run_store import load_run_records

    assert [(r["file"], r["kv"]) for r in load_run_records(first.run_dir)] == [
        (r["file"], r["kv"]) for r in first.records]  # history and --show see every pair's rows
    again = KvAxisRunner(spec, pairs, root=tmp_path).run()
    assert again.evaluated == [] and len(again.records) == len(first.records) == 4
