"""Decide, before anything is loaded, which mmproj and chat handler a model
gets, and refuse bad pairs with a clear reason.

``plan_vision`` runs in the parent (Runtime.validate, before a worker starts)
so a truncated or mismatched mmproj never reaches llama.cpp; the worker opens
the plan it is handed. Metadata only: no llama.cpp import here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import ModelFileError
from models.gguf.validate import GGUFHeader
from models.library.mmproj_pairing import MmprojInfo, auto_pair, check_pair, read_mmproj, vision_hint
from runtimes.llama_cpp.vision.handlers import check_handler_name, choose_handler

AUTO = "auto"


@dataclass(frozen=True)
class VisionPlan:
    mmproj: MmprojInfo | None = None
    pairing: str = ""  # why this mmproj
    handler: str | None = None
    handler_reason: str = ""
    warning: str | None = None  # a vision model loaded without its mmproj

    def info(self) -> dict[str, Any]:
        """For Session.info: what the UI and CLI show."""
        if self.mmproj is None:
            return {"vision_warning": self.warning} if self.warning else {}
        return {"vision": {
            "mmproj": str(self.mmproj.path), "projector": self.mmproj.projector_type,
            "pairing": self.pairing, "handler": self.handler, "handler_reason": self.handler_reason,
            "image_tokens": fixed_image_tokens(self.mmproj),
        }}


def fixed_image_tokens(mmproj: MmprojInfo) -> int | None:
    """Context tokens per image when the projector makes a fixed number (LLaVA MLP)."""
    if mmproj.projector_type in ("mlp", "mlp_norm") and not mmproj.grid_pinpoints:
        if mmproj.image_size and mmproj.patch_size:
            return (mmproj.image_size // mmproj.patch_size) ** 2
    return None


def plan_vision(model: Path, header: GGUFHeader, mmproj: str | None, chat_handler: str = AUTO) -> VisionPlan:
    """The mmproj and handler for ``model``; raises ModelFileError / MmprojMismatch."""
    model = Path(model)
    if header.architecture == "clip":
        raise ModelFileError(model, "this is an mmproj (vision projector), not a model: load the model "
                                    "and choose this file as its mmproj")
    check_handler_name(chat_handler)
    if mmproj is None:
        return VisionPlan(warning=_blind_warning(model, header, "none was chosen"))
    if mmproj == AUTO:
        pairing = auto_pair(model, header)
        if pairing is None:
            return VisionPlan(warning=_blind_warning(model, header, "none was found next to it"))
        info, why = pairing.mmproj, f"paired: {pairing.reason}"
    else:
        try:
            info, why = read_mmproj(mmproj), "chosen by hand"
        except ModelFileError as exc:  # say which of the two files is broken
            raise ModelFileError(exc.path, f"cannot be used as the mmproj: {exc.problem}") from None
    check_pair(model, header, info)
    handler, handler_reason = choose_handler(header.metadata, info, chat_handler)
    return VisionPlan(info, why, handler, handler_reason)


def _blind_warning(model: Path, header: GGUFHeader, why_none: str) -> str | None:
    hint = vision_hint(model, header)
    if hint is None:
        return None
    return (f"{model.name} looks like a vision model ({hint}) but no mmproj was loaded ({why_none}), "
            "so it cannot see images")
