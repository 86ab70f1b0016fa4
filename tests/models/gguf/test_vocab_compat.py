"""Draft/target tokenizer compatibility, checked from GGUF metadata before loading."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import models.demo.draft_pair as pair_module
from models.demo.draft_pair import write_pair
from models.demo.vocab import build_vocab
from models.errors import IncompatibleDraft
from models.gguf.vocab_compat import check_draft, draft_choices, library_draft_choices
from models.library.scan import scan_library
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.speculative.options import SpeculativeOptions
from runtimes.llama_cpp.speculative.prompt_lookup import PromptLookup
from runtimes.registry import get_runtime


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_pair(tmp_path_factory.mktemp("pair"), "tiny", 0.02)


def write_draft_with_vocab(path: Path, monkeypatch: pytest.MonkeyPatch, **changes) -> Path:
    """A tiny draft whose demo vocabulary is altered by ``changes``."""
    vocab = dataclasses.replace(build_vocab(), **changes)
    monkeypatch.setattr(pair_module, "build_vocab", lambda: vocab)
    spec = pair_module.PAIR_SPECS["tiny"]
    pair_module._write(path, spec.draft, 0, spec.dtype, spec.draft.n_layers, 0.0)
    return path


def test_matching_pair_is_compatible(pair):
    draft, target = pair
    check = check_draft(target, draft)
    assert check.ok and check.problems == []
    assert check.size_ratio is not None and check.size_ratio < 0.5
    assert check.warnings == []


def test_a_changed_token_is_named(pair, tmp_path, monkeypatch):
    tokens = list(build_vocab().tokens)
    tokens[65] = "Z"
    bad = write_draft_with_vocab(tmp_path / "bad.gguf", monkeypatch, tokens=tuple(tokens))
    problems = check_draft(pair[1], bad).problems
    assert problems == ["token 65 differs: 'A' vs 'Z'"]


def test_vocab_size_and_special_ids_are_named(pair, tmp_path, monkeypatch):
    vocab = build_vocab()
    bad = write_draft_with_vocab(
        tmp_path / "bigger.gguf", monkeypatch,
        tokens=vocab.tokens + ("<extra>",), token_types=vocab.token_types + (1,), readable=vocab.readable + (False,),
        eos_id=vocab.bos_id,
    )
    problems = check_draft(pair[1], bad).problems
    assert f"vocab size {len(vocab.tokens)} vs {len(vocab.tokens) + 1}" in problems
    assert f"eos id {vocab.eos_id} vs {vocab.bos_id}" in problems


def test_mismatched_draft_is_refused_before_loading(pair, tmp_path, monkeypatch):
    tokens = list(build_vocab().tokens)
    tokens[300] = "Ġxyz"
    bad = write_draft_with_vocab(tmp_path / "bad.gguf", monkeypatch, tokens=tuple(tokens))
    options = LlamaLoadOptions(n_ctx=256, speculative=SpeculativeOptions(draft_model=str(bad)))
    with pytest.raises(IncompatibleDraft, match=r"bad\.gguf cannot draft for .*token 300 differs: 'Ġ\w+' vs 'Ġxyz'"):
        get_runtime("llama.cpp").load(pair[1], options)


def test_a_draft_as_big_as_the_target_is_warned_about(pair):
    check = check_draft(pair[1], pair[1])
    assert check.ok
    assert check.size_ratio == 1.0
    assert "the draft is 100% of the target's size" in check.warnings[0]


def test_draft_choices_list_compatible_drafts_and_why_others_are_missing(pair, tmp_path, monkeypatch):
    draft, target = pair
    tokens = list(build_vocab().tokens)
    tokens[70] = "?"
    bad = write_draft_with_vocab(tmp_path / "other-vocab.gguf", monkeypatch, tokens=tuple(tokens))
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF\x03\x00\x00\x00")
    choices = draft_choices(target, [(draft, "draft"), (target, "target"), (bad, "other"), (broken, "broken")])
    assert [c.name for c in choices.compatible] == ["draft"]
    reasons = {name: why for _, name, why in choices.excluded}
    assert reasons["target"] == "it is the target model"
    assert reasons["other"] == "tokenizer differs: token 70 differs: 'F' vs '?'"
    assert reasons["broken"].startswith("unreadable:")


def test_library_draft_choices(pair, tmp_path):
    draft, target = pair
    entries = scan_library([("workbench", draft.parent, False)])
    choices = library_draft_choices(target, entries)
    assert [c.path for c in choices.compatible] == [draft]
    assert [(p, why) for p, _, why in choices.excluded] == [(target, "it is the target model")]


def test_prompt_lookup_proposes_what_followed_the_last_ngram():
    lookup = PromptLookup(1, 3)
    history = [1, 2, 3, 4, 5, 9, 2, 3]
    assert lookup.propose(history, 3) == [4, 5, 9]  # "2 3" was followed by 4 5 9
    history += [4, 7]  # "3 4 7": the 3-gram is new, "4 7" too, "7" too
    assert lookup.propose(history, 3) == []
    history += [1, 2]  # "7 1 2" new, "1 2" -> 3 4 5
    assert lookup.propose(history, 2) == [3, 4]
    assert lookup.propose([5, 6, 5], 4) == [6, 5]  # a new history resets the index
