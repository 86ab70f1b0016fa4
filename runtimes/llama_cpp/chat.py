"""Render chat messages into a prompt: with the chat template stored in the
GGUF, or with one of llama.cpp's built-in templates (chosen by name, or for
the architecture when the model has none; see templates.py)."""

from __future__ import annotations

from typing import Any

from models.errors import WorkbenchError
from runtimes.llama_cpp.templates import apply_builtin, choose_template


def render_chat(llm: Any, messages: list[dict[str, Any]], template: str = "") -> list[int]:
    """Return prompt tokens for ``messages``; ``template`` names a built-in ("" = the model's own)."""
    prompt, add_bos = render_chat_text(llm, messages, template)
    return llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)


def render_chat_text(llm: Any, messages: list[dict[str, Any]], template: str = "") -> tuple[str, bool]:
    """The templated prompt text, and whether a BOS token must be added before it."""
    choice = choose_template(llm, template)
    model = llm._model
    bos = model.token_get_text(model.token_bos()) if model.token_bos() >= 0 else ""
    if choice.builtin:
        prompt = apply_builtin(choice.name, messages)
    else:
        prompt = _render_jinja(llm, messages, bos)
    # Like llama-server: add BOS when the model wants it and the template did not.
    return prompt, bool(bos) and model.add_bos_token() and not prompt.startswith(bos)


def _render_jinja(llm: Any, messages: list[dict[str, Any]], bos: str) -> str:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    model = llm._model
    eos = model.token_get_text(model.token_eos()) if model.token_eos() >= 0 else ""
    template = llm.metadata["tokenizer.chat_template"]
    try:
        return Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)(messages=messages).prompt
    except Exception as exc:  # jinja errors and raise_exception() from the template
        raise WorkbenchError(f"the model's chat template failed: {exc}") from exc
