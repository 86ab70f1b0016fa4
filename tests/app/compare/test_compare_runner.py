"""Compare runs on the demo ladder: ordering, self-comparison, resume,
incompatible vocabularies, exports and the CLI. Small (ctx 128, 3 chunks)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest

from app.cli.compare_cmd import read_text
from app.compare.results.export import to_csv, to_json, to_markdown
from app.compare.runner import CompareConfig, CompareRunner, list_runs
from app.errors import IncompatibleModels
from runtimes.base import CancelToken

CTX, CHUNKS = 128, 3


def _spec(reference: Path, variants: list[Path], speed: bool = False, max_parallel: int = 1) -> CompareConfig:
    text, name = read_text(None)
    return CompareConfig(reference, variants, text, name, n_ctx=CTX, n_chunks=CHUNKS, n_threads=1, speed=speed,
                       max_parallel=max_parallel)


def test_kld_grows_as_bits_shrink(demo_ladder: dict[str, Path]) -> None:
    quants = ["Q8_0", "Q6_K", "Q4_K_M", "Q2_K"]
    outcome = CompareRunner(_spec(demo_ladder["F32"], [demo_ladder[q] for q in quants], speed=True)).run()
    assert not outcome.cancelled
    ref, *variants = outcome.records
    assert ref["role"] == "reference" and ref["ppl"] > 1
    klds = [r["kld_mean"] for r in variants]
    assert klds == sorted(klds) and klds[0] > 0, klds
    assert [r["quant"] for r in variants] == quants
    assert variants[0]["same_top_pct"] > variants[-1]["same_top_pct"]
    for r in outcome.records:
        assert r["n_tokens_scored"] == CHUNKS * (CTX - 1 - CTX // 2)
        assert r["pp_tps"] > 0 and r["tg_tps"] > 0 and r["peak_rss_bytes"] > 0
        assert r["size_bytes"] == Path(r["file"]).stat().st_size


def test_variant_against_itself(demo_ladder: dict[str, Path], tmp_path: Path) -> None:
    twin = tmp_path / "twin-Q8_0.gguf"
    shutil.copy(demo_ladder["Q8_0"], twin)
    (_, record) = CompareRunner(_spec(demo_ladder["Q8_0"], [twin])).run().records
    assert abs(record["kld_mean"]) < 1e-4  # 16-bit reference storage, as in llama.cpp
    # llama.cpp's definition compares against the 16-bit stored reference, where two top
    # logits closer than one step (~2.4e-4 here) tie and the lower token id wins; this
    # text has one such position in 189, and llama-perplexity reports the same 99.47%.
    assert record["same_top_pct"] >= 99.0
    assert record["rms_dp_pct"] < 0.05


def test_cancelled_run_resumes_without_redoing_finished_models(demo_ladder: dict[str, Path]) -> None:
    variants = [demo_ladder["Q8_0"], demo_ladder["Q4_K_M"], demo_ladder["Q2_K"]]
    cancel = CancelToken()

    def progress(done: float, total: int, label: str) -> None:
        if label.startswith(variants[1].name):  # the second variant started: stop
            cancel.cancel()

    first = CompareRunner(_spec(demo_ladder["F32"], variants))
    outcome = first.run(progress, cancel)
    assert outcome.cancelled
    assert first.evaluated == [str(demo_ladder["F32"]), str(variants[0]), str(variants[1])]
    assert len(outcome.records) == 2  # reference and first variant saved

    second = CompareRunner(_spec(demo_ladder["F32"], variants))
    resumed = second.run()
    assert not resumed.cancelled
    assert second.evaluated == [str(variants[1]), str(variants[2])]  # finished ones were not redone
    assert [r.pop("cached") for r in resumed.records] == [True, True, False, False]  # read back, and marked
    assert resumed.records[:2] == [{k: v for k, v in r.items() if k != "cached"} for r in outcome.records]
    assert len(resumed.records) == 4
    assert list_runs()[0]["n_results"] == 4


def test_mismatched_vocabulary_is_refused_before_loading(demo_ladder: dict[str, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import models.demo.weights as weights
    from models.demo.factory import SPECS
    from models.demo.vocab import build_vocab

    vocab = build_vocab()
    tokens = list(vocab.tokens)
    tokens[300] = tokens[300] + "X"
    monkeypatch.setattr(weights, "build_vocab", lambda: dataclasses.replace(vocab, tokens=tuple(tokens)))
    other = tmp_path / "other-vocab.gguf"
    weights.write_gguf(other, SPECS["tiny"], 0, "F32")

    def loader(*_: object) -> None:
        raise AssertionError("nothing may be loaded for an incompatible pair")

    with pytest.raises(IncompatibleModels, match="token 300 differs"):
        CompareRunner(_spec(demo_ladder["F32"], [other]), loader=loader).run()


def test_exports_parse(demo_ladder: dict[str, Path]) -> None:
    records = CompareRunner(_spec(demo_ladder["F32"], [demo_ladder["Q4_K_M"]])).run().records
    parsed = json.loads(to_json(records, {"n_ctx": CTX}))
    assert parsed["meta"]["n_ctx"] == CTX and parsed["results"][1]["kld_mean"] == records[1]["kld_mean"]
    rows = list(csv.DictReader(io.StringIO(to_csv(records))))
    assert len(rows) == 2 and float(rows[1]["ppl"]) == pytest.approx(records[1]["ppl"])
    table = to_markdown(records).splitlines()
    assert len(table) == 4 and "Q4_K_M" in table[3]


def test_cli_compare_json(demo_ladder: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.main import main

    rc = main(["compare", "--reference", str(demo_ladder["F32"]), str(demo_ladder["Q6_K"]),
               "--ctx", str(CTX), "--chunks", "2", "-t", "1", "--no-speed", "-o", "json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    (ref, variant) = out["results"]
    assert ref["role"] == "reference" and variant["quant"] == "Q6_K"
    assert variant["n_tokens_scored"] == 2 * (CTX - 1 - CTX // 2) and variant["kld_mean"] > 0
