"""Which of llama-cpp-python's multimodal chat handlers formats a vision prompt.

The handler decides the prompt layout around the images: "mtmd" uses the
model's own chat template (mtmd then adds the model's image begin/end tokens
itself, as llama-server does); the LLaVA-family handlers carry a fixed format
for models converted without a template. The choice is made from metadata
alone (no llama.cpp import), and the user can override it by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from models.errors import WorkbenchError
from models.library.mmproj_pairing import MmprojInfo

AUTO = "auto"


@dataclass(frozen=True)
class HandlerSpec:
    class_name: str  # in llama_cpp.llama_chat_format
    description: str


HANDLERS: dict[str, HandlerSpec] = {
    "mtmd": HandlerSpec("MTMDChatHandler", "the model's own chat template"),
    "llava-1.5": HandlerSpec("Llava15ChatHandler", "LLaVA 1.5 (USER:/ASSISTANT:)"),
    "llava-1.6": HandlerSpec("Llava16ChatHandler", "LLaVA 1.6 (image tiles)"),
    "obsidian": HandlerSpec("ObsidianChatHandler", "Obsidian"),
    "moondream": HandlerSpec("MoondreamChatHandler", "moondream2"),
    "nanollava": HandlerSpec("NanoLlavaChatHandler", "nanoLLaVA"),
    "llama3-vision-alpha": HandlerSpec("Llama3VisionAlphaChatHandler", "Llama 3 Vision Alpha"),
    "minicpm-v-2.6": HandlerSpec("MiniCPMv26ChatHandler", "MiniCPM-V 2.6"),
    "qwen2.5-vl": HandlerSpec("Qwen25VLChatHandler", "Qwen2.5-VL"),
    "gemma4": HandlerSpec("Gemma4ChatHandler", "Gemma 4 (model's own template)"),
}

# Handlers for models with no chat template, by a word in the model's name.
_BY_NAME = (("moondream", "moondream"), ("obsidian", "obsidian"), ("nanollava", "nanollava"),
            ("llama-?3-vision-alpha", "llama3-vision-alpha"))
_LLAVA_PROJECTORS = {"mlp", "mlp_norm", "ldp", "ldpv2"}


def available_handlers() -> list[str]:
    """Handler names whose class the installed llama-cpp-python has."""
    from llama_cpp import llama_chat_format

    return [name for name, spec in HANDLERS.items() if hasattr(llama_chat_format, spec.class_name)]


def handler_class(name: str) -> Any:
    from llama_cpp import llama_chat_format

    cls = getattr(llama_chat_format, HANDLERS[name].class_name, None)
    if cls is None:
        raise WorkbenchError(f"this llama-cpp-python has no {HANDLERS[name].class_name} for the {name!r} handler")
    return cls


def check_handler_name(name: str) -> None:
    if name != AUTO and name not in HANDLERS:
        raise WorkbenchError(f"unknown chat handler {name!r}; choose from {AUTO}, {', '.join(HANDLERS)}")


def choose_handler(model_meta: dict[str, Any], mmproj: MmprojInfo, override: str = AUTO) -> tuple[str, str]:
    """(handler name, why) for this text model + projector."""
    check_handler_name(override)
    if override != AUTO:
        return override, "chosen by hand"
    if model_meta.get("tokenizer.chat_template"):
        return "mtmd", "the model has its own chat template"
    names = " ".join(str(model_meta.get(k) or "") for k in ("general.name", "general.basename")).lower()
    for pattern, name in _BY_NAME:
        if re.search(pattern, names):
            return name, f"no chat template; the name says {name}"
    projector = mmproj.projector_type
    if projector == "resampler":
        return "minicpm-v-2.6", "no chat template; MiniCPM-V resampler projector"
    if projector in ("qwen2vl_merger", "qwen2.5vl_merger"):
        return "qwen2.5-vl", f"no chat template; {projector} projector"
    if projector in _LLAVA_PROJECTORS and mmproj.grid_pinpoints:
        return "llava-1.6", "no chat template; LLaVA projector with image tiles"
    if projector in _LLAVA_PROJECTORS:
        return "llava-1.5", "no chat template; LLaVA projector"
    return "llava-1.5", f"no chat template and no format known for the {projector!r} projector; LLaVA 1.5 layout"
