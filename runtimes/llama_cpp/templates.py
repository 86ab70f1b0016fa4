"""llama.cpp's built-in chat templates: list them, pick one for a model that
ships without a template, and render messages with llama.cpp's own engine
(``llama_chat_apply_template``), so no prompt format is written in Python.

llama.cpp recognises templates by name or by their Jinja source, not by
architecture; the one thing added here is which built-in fits an
architecture. Like llama-server, chatml is the fallback when none does.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cache
from typing import Any

from models.errors import WorkbenchError

FALLBACK = "chatml"  # llama-server's default when the model has no template
# GGUF general.architecture -> the llama.cpp built-in made for that family.
ARCH_TEMPLATES = {
    "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gemma3n": "gemma",
    "phi3": "phi3", "phimoe": "phi3",
    "command-r": "command-r", "cohere2": "command-r",
    "deepseek2": "deepseek2",
    "chatglm": "chatglm4", "glm4": "chatglm4",
    "exaone": "exaone3", "exaone4": "exaone4",
    "granite": "granite", "granitemoe": "granite",
    "llama4": "llama4",
    "minicpm": "minicpm",
    "orion": "orion",
    "rwkv6": "rwkv-world", "rwkv7": "rwkv-world",
    "gpt-oss": "gpt-oss",
    "hunyuan-moe": "hunyuan-moe", "hunyuan-dense": "hunyuan-dense",
    "seed_oss": "seed_oss",
    "qwen2": "chatml", "qwen2moe": "chatml", "qwen3": "chatml", "qwen3moe": "chatml",
}
# A llama-arch model (the name covers many families) is told apart by its turn markers.
MARKER_TEMPLATES = (("<|start_header_id|>", "llama3"), ("<|im_start|>", "chatml"))


@dataclass(frozen=True)
class TemplateChoice:
    """``name`` is "model" (the GGUF's own Jinja template) or a llama.cpp built-in."""

    name: str
    note: str = ""  # why a built-in was used, for the user; empty for the model's own

    @property
    def builtin(self) -> bool:
        return self.name != "model"


@cache
def builtin_template_names() -> tuple[str, ...]:
    """The names llama.cpp's llama_chat_apply_template accepts, sorted."""
    import llama_cpp

    n = llama_cpp.llama_chat_builtin_templates(None, 0)
    names = (ctypes.c_char_p * n)()
    llama_cpp.llama_chat_builtin_templates(names, n)
    return tuple(sorted(name.decode() for name in names))


def check_template_name(name: str) -> str:
    """``name`` if llama.cpp has a built-in template by that name; else an error listing them."""
    if name not in builtin_template_names():
        raise WorkbenchError(f"unknown chat template {name!r}; choose one of: {', '.join(builtin_template_names())}")
    return name


def template_for_arch(arch: str, has_token: Any) -> str:
    """The built-in for ``arch``; ``has_token(text)`` says whether the vocab has that special token."""
    if arch in ARCH_TEMPLATES:
        return ARCH_TEMPLATES[arch]
    return next((name for marker, name in MARKER_TEMPLATES if has_token(marker)), FALLBACK)


def choose_template(llm: Any, requested: str = "") -> TemplateChoice:
    """``requested`` names a built-in; empty means the model's own template, or
    when it has none, the built-in for its architecture (said in ``note``)."""
    if requested:
        return TemplateChoice(check_template_name(requested))
    if llm.metadata.get("tokenizer.chat_template"):
        return TemplateChoice("model")
    arch = llm.metadata.get("general.architecture", "")
    name = template_for_arch(arch, lambda text: _is_one_token(llm, text))
    why = f"it fits the {arch} architecture" if name == ARCH_TEMPLATES.get(arch) else "llama-server's default"
    return TemplateChoice(name, f"this model has no chat template; using llama.cpp's built-in {name!r} ({why})")


def template_info(llm: Any) -> dict[str, Any]:
    """What a loaded session reports: the template chats use by default
    ("model" or a built-in), why, and every built-in name to choose from."""
    choice = choose_template(llm)
    return {"chat_template": choice.name, "chat_template_note": choice.note,
            "chat_templates": list(builtin_template_names())}


def _is_one_token(llm: Any, text: str) -> bool:
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) == 1


def apply_builtin(name: str, messages: list[dict[str, Any]], add_assistant: bool = True) -> str:
    """``messages`` rendered by llama.cpp's built-in template ``name``."""
    import llama_cpp

    check_template_name(name)
    # Keep the encoded strings referenced: the structs only hold pointers to them.
    encoded = [(str(m["role"]).encode("utf-8"), str(m.get("content") or "").encode("utf-8")) for m in messages]
    chat = (llama_cpp.llama_chat_message * len(encoded))(
        *(llama_cpp.llama_chat_message(role, content) for role, content in encoded)
    )
    size = 4096 + 2 * sum(len(role) + len(content) for role, content in encoded)
    for _ in range(2):
        buffer = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_chat_apply_template(name.encode(), chat, len(encoded), add_assistant, buffer, size)
        if n < 0:
            raise WorkbenchError(f"llama.cpp's {name!r} template could not render these messages")
        if n <= size:
            return buffer.raw[:n].decode("utf-8", errors="replace")
        size = n + 1  # the buffer was too small: llama.cpp returned the length it needs
    raise WorkbenchError(f"llama.cpp's {name!r} template output kept growing")
