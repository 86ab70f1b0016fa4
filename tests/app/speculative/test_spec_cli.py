"""workbench spec-bench and generate --draft/--lookup on the tiny demo pair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli.main import main
from models.demo.draft_pair import write_pair

MODE_FIELDS = {"plain_tps", "spec_tps", "speedup", "acceptance_rate", "mean_accepted_len", "identical"}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_pair(tmp_path_factory.mktemp("pair"), "tiny", 0.02)


def test_spec_bench_json_reports_each_mode(pair, tmp_path, capsys):
    draft, target = pair
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("Once upon a time\n\ndef f(x):\\n    return\n")
    args = ["spec-bench", str(target), "--draft", str(draft), "--lookup", "-n", "24", "--prompts", str(prompts),
            "-t", "1", "--no-warmup", "-o", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_prompts"] == 2 and report["n_predict"] == 24
    assert [m["mode"] for m in report["modes"]] == ["draft", "lookup"]
    for mode in report["modes"]:
        assert MODE_FIELDS <= mode.keys()
        assert mode["identical"] is True
        assert mode["plain_tps"] > 0 and mode["spec_tps"] > 0
        assert mode["speedup"] == pytest.approx(mode["spec_tps"] / mode["plain_tps"])
        assert 0 <= mode["accepted"] <= mode["drafted"]
        assert [p["prompt"] for p in mode["prompts"]] == ["Once upon a time", "def f(x):\n    return"]
        assert all(p["n_gen"] == 24 for p in mode["prompts"])
    draft_mode = report["modes"][0]
    assert draft_mode["acceptance_rate"] > 0.5
    assert draft_mode["mean_accepted_len"] > 1


def test_spec_bench_needs_a_mode(pair, capsys):
    assert main(["spec-bench", str(pair[1])]) == 1
    assert "--draft" in capsys.readouterr().err


def test_generate_with_a_draft_reports_acceptance(pair, capsys):
    draft, target = pair
    base = ["generate", str(target), "-p", "Hello", "-n", "20", "--temp", "0", "-t", "1", "--json"]
    assert main(base) == 0
    plain = json.loads(capsys.readouterr().out)
    assert "speculative" not in plain["stats"]
    assert main([*base, "--draft", str(draft), "--draft-max", "4"]) == 0
    spec = json.loads(capsys.readouterr().out)
    assert spec["text"] == plain["text"]
    counts = spec["stats"]["speculative"]
    assert counts["mode"] == "draft" and counts["label"].endswith("K≤4")
    assert counts["accepted"] + counts["target_tokens"] == 20


def test_generate_refuses_draft_and_lookup_together(pair, capsys):
    assert main(["generate", str(pair[1]), "-p", "x", "--draft", str(pair[0]), "--lookup"]) == 1
    assert "not both" in capsys.readouterr().err


def test_generate_with_lookup_prints_a_summary_line(pair, capsys):
    assert main(["generate", str(pair[1]), "-p", "ab ab ab ab", "-n", "16", "--temp", "0", "-t", "1", "--lookup"]) == 0
    assert "prompt lookup, K≤8: accepted" in capsys.readouterr().err


def test_arena_variants_can_speculate(demo_ladder, capsys):
    models = [str(demo_ladder["Q8_0"]), str(demo_ladder["Q4_K_M"])]
    base = ["arena", *models, "-p", "The river", "-n", "16", "-t", "1", "--parallel", "1", "-o", "json"]
    assert main(base) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main([*base, "--lookup"]) == 0
    spec = json.loads(capsys.readouterr().out)
    assert [r["text"] for r in spec] == [r["text"] for r in plain]  # greedy: speculation changes nothing
    assert all(r["speculative"]["mode"] == "lookup" for r in spec)
    assert all("speculative" not in r for r in plain)
