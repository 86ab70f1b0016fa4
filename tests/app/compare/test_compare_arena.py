"""Output arena core and CLI on the demo ladder: same seed and sampling for
every variant, memory scheduling, divergence from the reference, cancel."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli.main import main
from app.compare.arena.board import ArenaBoard, first_difference
from app.compare.arena.run import (
    ArenaConfig,
    ArenaFinished,
    ArenaStarted,
    ArenaToken,
    arena_sampling,
    read_prompts,
    run_arena,
)
from app.compare.schedule import Budget
from app.errors import WillNotFit
from models.errors import WorkbenchError
from runtimes.base import CancelToken
from runtimes.llama_cpp.options import LlamaLoadOptions

PLENTY = Budget(64 * 2**30)
OPTIONS = LlamaLoadOptions(n_ctx=256, n_threads=2)


def _run(reference: Path, models: list[Path], prompts: list[str], budget: Budget = PLENTY, cancel=None,
         **sampling) -> tuple[ArenaBoard, list]:
    spec = ArenaConfig(reference, models, prompts, arena_sampling(max_tokens=24, **sampling), OPTIONS,
                     max_parallel=3)
    board = ArenaBoard([str(m) for m in spec.models], str(reference), prompts)
    events = []
    for event in run_arena(spec, cancel, budget=lambda: budget):
        events.append(event)
        board.feed(event)
    return board, events


def test_first_difference():
    assert first_difference([1, 2, 3], [1, 2, 3], True, True) is None
    assert first_difference([1, 2, 3], [1, 5, 3], False, False) == 1
    assert first_difference([1, 2], [1, 2, 3], False, False) is None  # the reference may still say 3
    assert first_difference([1, 2], [1, 2, 3], True, False) == 2  # it ended; the variant went on
    assert first_difference([1, 2, 3], [1, 2], True, True) == 2  # the variant stopped early
    assert first_difference([], [7], True, False) == 0


def test_board_marks_the_character_where_a_variant_leaves_the_reference():
    board = ArenaBoard(["ref", "v"], "ref", ["p"])
    for model, pieces in (("ref", [("Hello", 1), (" world", 2), ("!", 3)]),
                          ("v", [("Hello", 1), (" there", 9), ("!", 3)])):
        board.feed(ArenaStarted(model, 0, {"quant": model}, 2))
        for text, token in pieces:
            board.feed(ArenaToken(model, 0, text, token))
    where = board.divergence("v", 0)
    assert (where.token_index, where.char_offset) == (1, len("Hello"))
    assert board.output("v", 0).text[where.char_offset:] == " there!"
    assert board.divergence("ref", 0) is None and not board.all_finished()


def test_same_file_twice_gives_the_same_output_and_a_low_quant_diverges(demo_ladder, tmp_path):
    twin = tmp_path / "twin-F32.gguf"
    shutil.copy(demo_ladder["F32"], twin)
    models = [demo_ladder["F32"], twin, demo_ladder["Q2_K"]]
    prompts = ["The lighthouse keeper", "Bread is"]
    board, events = _run(demo_ladder["F32"], models, prompts)
    assert board.all_finished() and not any(o.error for o in board.outputs.values())
    for index in range(len(prompts)):
        ref, copy = board.output(str(demo_ladder["F32"]), index), board.output(str(twin), index)
        assert ref.token_ids == copy.token_ids and len(ref.token_ids) == 24
        assert board.divergence(str(twin), index) is None
        assert board.divergence(str(demo_ladder["Q2_K"]), index) is not None
        stats = board.output(str(demo_ladder["Q2_K"]), index).stats
        assert stats["ttft_s"] > 0 and stats["gen_tps"] > 0 and stats["prompt_tps"] > 0
        assert stats["peak_rss_bytes"] > 0
    facts = board.output(str(demo_ladder["Q2_K"]), 0).facts
    assert facts["quant"] == "Q2_K" and facts["size_bytes"] == demo_ladder["Q2_K"].stat().st_size
    assert 2 < facts["bpw"] < 4
    assert {e.concurrent for e in events if isinstance(e, ArenaStarted)} == {3}  # all three fit together


def test_a_fixed_seed_makes_sampling_repeatable_across_workers(demo_ladder, tmp_path):
    twin = tmp_path / "twin-Q4_K_M.gguf"
    shutil.copy(demo_ladder["Q4_K_M"], twin)
    board, _ = _run(demo_ladder["Q4_K_M"], [demo_ladder["Q4_K_M"], twin], ["Once"], temperature=1.0, seed=7)
    ref, copy = board.output(str(demo_ladder["Q4_K_M"]), 0), board.output(str(twin), 0)
    assert ref.text == copy.text and len(ref.token_ids) == 24


def test_models_that_do_not_fit_together_run_one_after_another(demo_ladder):
    from app.compare.schedule import estimate_demand

    models = [demo_ladder["Q8_0"], demo_ladder["Q2_K"]]
    need = max(estimate_demand(m, OPTIONS.n_ctx).ram_bytes for m in models)
    _, events = _run(demo_ladder["Q8_0"], models, ["Hi"], budget=Budget(int(need * 1.5)))
    starts = [e for e in events if isinstance(e, ArenaStarted)]
    assert [(Path(e.model).name, e.concurrent) for e in starts] == [(models[0].name, 1), (models[1].name, 1)]
    first_done = next(i for i, e in enumerate(events) if isinstance(e, ArenaFinished))
    assert first_done < events.index(starts[1])  # the second loaded only after the first finished


def test_what_will_not_fit_is_refused_before_loading(demo_ladder):
    spec = ArenaConfig(demo_ladder["F32"], [demo_ladder["Q2_K"]], ["Hi"], options=OPTIONS)

    def loader(*_):
        raise AssertionError("nothing may be loaded")

    with pytest.raises(WillNotFit, match="workbench-tiny-F32.gguf needs about"):
        next(run_arena(spec, loader=loader, budget=lambda: Budget(10 * 2**20)))


def test_a_model_that_fails_to_load_shows_why_in_every_prompt(demo_ladder):
    from app.compare.arena.run import ArenaError, _default_loader

    def loader(model, options, cancel):
        if Path(model) == demo_ladder["Q2_K"]:
            raise WorkbenchError("the worker could not start")
        return _default_loader(model, options, cancel)

    spec = ArenaConfig(demo_ladder["F32"], [demo_ladder["Q2_K"]], ["a", "b"], arena_sampling(max_tokens=4), OPTIONS)
    board = ArenaBoard([str(m) for m in spec.models], str(demo_ladder["F32"]), spec.prompts)
    for event in run_arena(spec, loader=loader, budget=lambda: PLENTY):
        board.feed(event)
        assert not (isinstance(event, ArenaError) and Path(event.model) != demo_ladder["Q2_K"])
    assert board.all_finished()
    assert [board.output(str(demo_ladder["Q2_K"]), i).error for i in (0, 1)] == ["the worker could not start"] * 2
    assert board.output(str(demo_ladder["F32"]), 1).stats["n_gen"] == 4


def test_cancel_stops_every_worker(demo_ladder):
    cancel = CancelToken()
    spec = ArenaConfig(demo_ladder["F32"], [demo_ladder["Q4_K_M"]], ["Tell me", "More"],
                     arena_sampling(max_tokens=10_000), LlamaLoadOptions(n_ctx=2048, n_threads=2))
    finished = []
    for event in run_arena(spec, cancel, budget=lambda: PLENTY):
        if isinstance(event, ArenaToken):
            cancel.cancel()
        if isinstance(event, ArenaFinished):
            finished.append(event)
    assert {e.prompt_index for e in finished} == {0}  # the second prompt never started
    assert all(e.stats["stop_reason"] == "cancelled" and e.stats["n_gen"] < 1000 for e in finished)


def test_spec_puts_the_reference_first_and_each_file_once(demo_ladder):
    spec = ArenaConfig(demo_ladder["F32"], [demo_ladder["Q2_K"], demo_ladder["F32"], demo_ladder["Q2_K"]], ["x"])
    assert spec.models == [demo_ladder["F32"], demo_ladder["Q2_K"]]
    with pytest.raises(WorkbenchError, match="at least one prompt"):
        ArenaConfig(demo_ladder["F32"], [demo_ladder["Q2_K"]], ["  "])


def test_prompt_sets(tmp_path):
    lines = tmp_path / "p.txt"
    lines.write_text("first prompt\n\n  \nsecond prompt\n")
    assert read_prompts(lines) == ["first prompt", "second prompt"]
    listed = tmp_path / "p.json"
    listed.write_text(json.dumps(["a\nmulti-line prompt", "b"]))
    assert read_prompts(listed) == ["a\nmulti-line prompt", "b"]
    for content, problem in (("[1, 2]", "list of strings"), ("[\"a\",", "not a JSON list"), ("\n\n", "no prompts")):
        listed.write_text(content)
        with pytest.raises(WorkbenchError, match=problem):
            read_prompts(listed)


def test_cli_arena_json_and_text(demo_ladder, capsys):
    args = ["arena", str(demo_ladder["F32"]), str(demo_ladder["Q2_K"]), "-p", "The tide", "-n", "16", "-t", "2",
            "-c", "256"]
    assert main([*args, "-o", "json"]) == 0
    ref, variant = json.loads(capsys.readouterr().out)
    assert ref["role"] == "reference" and ref["quant"] == "F32" and ref["diverge_token"] is None
    assert variant["quant"] == "Q2_K" and variant["n_gen"] == 16 and variant["error"] is None
    assert variant["diverge_token"] is not None and variant["gen_tps"] > 0 and variant["peak_rss_bytes"] > 0
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "(reference)" in text and f"diverges at token {variant['diverge_token'] + 1}" in text
    assert "⟪" in text  # the divergence is marked in the variant's text
