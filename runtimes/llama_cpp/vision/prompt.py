"""The prompt text of a vision chat: the template rendered with one media
marker where each image goes, as llama-cpp-python's handlers do it.

Each message's images go before its text, with nothing in between (the
LLaVA-family handler templates put them there too); mtmd then splits the text
at the markers and adds the model's own image begin/end tokens.
"""

from __future__ import annotations

import uuid
from typing import Any

from models.errors import WorkbenchError
from runtimes.llama_cpp.chat import render_chat_text
from runtimes.requests import Image


def message_images(messages: list[dict[str, Any]]) -> list[Image]:
    """Every image in the conversation, in prompt order."""
    images = []
    for message in messages:
        for image in message.get("images") or ():
            if not isinstance(image, Image):
                raise WorkbenchError(f"a message's images must be runtimes.requests.Image, not {type(image).__name__}")
            images.append(image)
    return images


def has_images(messages: list[dict[str, Any]] | None) -> bool:
    return any(message.get("images") for message in messages or ())


def render_vision_prompt(llm: Any, handler: Any, messages: list[dict[str, Any]], marker: str,
                        template: str = "") -> tuple[str, bool]:
    """(prompt text with a marker per image, whether to add BOS). ``template``
    names a llama.cpp built-in for handlers that use the model's own template."""
    template = getattr(handler, "CHAT_FORMAT", None)
    if template is None:  # MTMDChatHandler and subclasses: the model's own template
        flat = [{"role": m["role"], "content": marker * len(m.get("images") or ()) + str(m.get("content") or "")}
                for m in messages]
        return render_chat_text(llm, flat, template)
    return _render_handler_format(llm, handler, template, messages, marker), True


def _render_handler_format(llm: Any, handler: Any, template: str, messages: list[dict[str, Any]], marker: str) -> str:
    """The LLaVA-family way (Llava15ChatHandler.__call__): OpenAI content parts
    with image URLs, a default system message, then URLs -> markers."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    placeholder = f"workbench-image-{uuid.uuid4().hex}-"  # cannot collide with typed text
    parts_messages, n = [], 0
    for m in messages:
        images = m.get("images") or ()
        if not images:
            parts_messages.append({"role": m["role"], "content": m.get("content") or ""})
            continue
        parts = []
        for _ in images:
            parts.append({"type": "image_url", "image_url": {"url": f"{placeholder}{n}$"}})
            n += 1
        parts.append({"type": "text", "text": m.get("content") or ""})
        parts_messages.append({"role": m["role"], "content": parts})
    system = getattr(handler, "DEFAULT_SYSTEM_MESSAGE", None)
    if system is not None and not any(m["role"] == "system" for m in parts_messages):
        parts_messages.insert(0, {"role": "system", "content": system})
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    try:
        text = env.from_string(template).render(
            messages=parts_messages, add_generation_prompt=True,
            eos_token=_piece(llm, llm.token_eos()), bos_token=_piece(llm, llm.token_bos()),
        )
    except Exception as exc:  # a template error names the handler, not a traceback
        raise WorkbenchError(f"the {type(handler).__name__} prompt format failed: {exc}") from exc
    for i in range(n):
        if f"{placeholder}{i}$" not in text:  # "$" ends it: image 1 must not match image 10
            raise WorkbenchError(f"the {type(handler).__name__} prompt format dropped image {i + 1}")
        text = text.replace(f"{placeholder}{i}$", marker)
    return text


def _piece(llm: Any, token: int) -> str:
    return llm.detokenize([token]).decode("utf-8", errors="ignore") if token >= 0 else ""
