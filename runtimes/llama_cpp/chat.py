"""Render chat messages with the chat template stored in the GGUF."""

from __future__ import annotations

from typing import Any

from models.errors import WorkbenchError


def render_chat(llm: Any, messages: list[dict[str, Any]]) -> list[int]:
    """Return prompt tokens for ``messages`` using the model's own template."""
    prompt, add_bos = render_chat_text(llm, messages)
    return llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)


def render_chat_text(llm: Any, messages: list[dict[str, Any]]) -> tuple[str, bool]:
    """The templated prompt text, and whether a BOS token must be added before it."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise WorkbenchError("this model has no chat template; use a plain prompt (-p) instead")
    model = llm._model
    bos = model.token_get_text(model.token_bos()) if model.token_bos() >= 0 else ""
    eos = model.token_get_text(model.token_eos()) if model.token_eos() >= 0 else ""
    try:
        prompt = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)(messages=messages).prompt
    except Exception as exc:  # jinja errors and raise_exception() from the template
        raise WorkbenchError(f"the model's chat template failed: {exc}") from exc
    # Like llama-server: add BOS when the model wants it and the template did not.
    return prompt, bool(bos) and model.add_bos_token() and not prompt.startswith(bos)
