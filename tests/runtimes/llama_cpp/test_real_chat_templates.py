"""Chat with any model, on real models: the built-in template a model without
one gets, templates chosen by name, and raw prompts tokenized as llama.cpp's
own tools tokenize them (compared with the built llama-tokenize)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from app.cli.main import main
from runtimes.events import Done, Error, Token
from runtimes.llama_cpp.native_build import find_tool
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.templates import ARCH_TEMPLATES, FALLBACK, apply_builtin, template_for_arch
from runtimes.registry import get_runtime
from runtimes.requests import Sampling, TextRequest

TURNS = "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n"
SHORT = Sampling(max_tokens=4, temperature=0.0, seed=1)


def llama_tokenize(model: Path, text: str) -> list[int]:
    """Token ids from llama.cpp's own llama-tokenize (special tokens parsed, BOS added: its defaults)."""
    tool = find_tool("llama-tokenize")
    if tool is None:
        pytest.skip("llama-tokenize is not built (python -m runtimes.llama_cpp.native_build)")
    out = subprocess.run([str(tool), "-m", str(model), "-p", text, "--ids", "--log-disable"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(session, request: TextRequest) -> tuple[str, Done | Error]:
    events = list(session.run(request))
    return "".join(e.text for e in events if isinstance(e, Token)), events[-1]


@pytest.fixture(scope="module")
def gemma(gemma_model: Path):
    with get_runtime("llama.cpp").load(gemma_model, LlamaLoadOptions(n_ctx=512, n_threads=2)) as session:
        yield session


def test_a_model_without_a_template_gets_the_builtin_for_its_architecture_and_says_so(gemma, gemma_model):
    assert gemma.info["has_chat_template"] is False
    assert gemma.info["chat_template"] == "gemma"
    assert "no chat template" in gemma.info["chat_template_note"] and "'gemma'" in gemma.info["chat_template_note"]
    assert "gemma3" in gemma.info["chat_template_note"]

    messages = [{"role": "user", "content": "What is the capital of France?"}]
    text, done = run(gemma, TextRequest(messages=messages, sampling=SHORT))
    assert isinstance(done, Done), done
    assert done.stats.n_gen > 0 and text  # a reply, not a refusal
    # The prompt the worker evaluated is llama.cpp's gemma turns, token for token.
    assert apply_builtin("gemma", messages) == TURNS
    assert done.stats.n_prompt == len(llama_tokenize(gemma_model, TURNS))


def test_a_template_chosen_by_name_is_used_and_a_bad_name_lists_the_valid_ones(gemma, gemma_model):
    messages = [{"role": "user", "content": "Hello"}]
    _, done = run(gemma, TextRequest(messages=messages, sampling=SHORT, chat_template="chatml"))
    assert isinstance(done, Done), done
    chatml = apply_builtin("chatml", messages)
    assert chatml.startswith("<|im_start|>user\nHello<|im_end|>")
    assert done.stats.n_prompt == len(llama_tokenize(gemma_model, chatml))

    _, error = run(gemma, TextRequest(messages=messages, sampling=SHORT, chat_template="gemma-9"))
    assert isinstance(error, Error)
    assert "unknown chat template 'gemma-9'" in error.message
    assert "chatml" in error.message and "gemma" in error.message and "llama3" in error.message
    _, done = run(gemma, TextRequest(messages=messages, sampling=SHORT))  # the session is still usable
    assert isinstance(done, Done)


def test_raw_prompts_parse_special_tokens_as_llama_tokenize_does(gemma, gemma_model):
    expected = llama_tokenize(gemma_model, TURNS)
    assert 105 in expected and 106 in expected  # <start_of_turn>, <end_of_turn> as single tokens
    _, done = run(gemma, TextRequest(prompt=TURNS, sampling=SHORT))
    assert isinstance(done, Done), done
    assert done.stats.n_prompt == len(expected)


def test_a_model_with_its_own_template_keeps_it(smollm_model):
    with get_runtime("llama.cpp").load(smollm_model, LlamaLoadOptions(n_ctx=256, n_threads=2)) as session:
        assert session.info["chat_template"] == "model" and session.info["chat_template_note"] == ""
        assert "gemma" in session.info["chat_templates"]


def test_generate_cli_chat_template_file_prompt_and_bad_name(gemma_model, tmp_path, capsys):
    base = ["generate", str(gemma_model), "-n", "3", "--temp", "0", "-c", "512", "-t", "2", "--json"]
    prompt = tmp_path / "prompt.txt"
    prompt.write_text(TURNS + "\n", encoding="utf-8")  # llama-cli -f drops one trailing newline
    assert main([*base, "-f", str(prompt)]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert from_file["stats"]["n_prompt"] == len(llama_tokenize(gemma_model, TURNS))

    assert main([*base, "-p", "Hi", "--chat"]) == 0
    captured = capsys.readouterr()
    assert "built-in 'gemma'" in captured.err  # the fallback is announced
    assert json.loads(captured.out)["stats"]["n_prompt"] == len(
        llama_tokenize(gemma_model, apply_builtin("gemma", [{"role": "user", "content": "Hi"}])))

    assert main([*base, "-p", "Hi", "--chat-template", "chatml"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["n_prompt"] == len(
        llama_tokenize(gemma_model, apply_builtin("chatml", [{"role": "user", "content": "Hi"}])))

    assert main([*base, "-p", "Hi", "--chat-template", "no-such"]) == 1
    err = capsys.readouterr().err
    assert "unknown chat template 'no-such'" in err and "chatml" in err and "zephyr" in err

    assert main([*base, "-f", str(tmp_path / "missing.txt")]) == 1
    assert "missing.txt" in capsys.readouterr().err


def test_architecture_table_and_fallback():
    names = {"<|start_header_id|>", "<|im_start|>"}
    assert template_for_arch("gemma3", lambda t: False) == "gemma"
    assert template_for_arch("llama", lambda t: t in names) == "llama3"  # a Llama 3 vocabulary
    assert template_for_arch("llama", lambda t: t == "<|im_start|>") == "chatml"
    assert template_for_arch("mamba", lambda t: False) == FALLBACK == "chatml"
    from runtimes.llama_cpp.templates import builtin_template_names

    assert set(ARCH_TEMPLATES.values()) <= set(builtin_template_names())  # every entry is a real built-in
