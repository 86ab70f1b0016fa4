"""Pair vision projectors (mmproj GGUFs) with the text models they serve.

In llama.cpp a vision model ships as two files: the text model and an mmproj
(image encoder + projector, architecture "clip"). The projector's output
width must equal the text model's embedding width, or mtmd refuses the pair
after both are loaded; checking the headers first gives the same answer in
milliseconds, with both numbers in the message.

Pairing (most to least certain): a name that matches once "mmproj" and the
quant are taken out, or the only projector in a folder that holds quants of a
single model (a hub repository); and always a matching width.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import MmprojMismatch, ModelFileError
from models.gguf.validate import GGUFHeader, validate_gguf
from models.hub.quants import is_mmproj
from models.library.scan import name_stem

# Where clip.cpp's clip_n_mmproj_embd reads the projector's output width:
# projector type -> (tensor name, ggml dimension). Others fall back to the
# clip.vision.projection_dim key.
_OUTPUT_WIDTH_TENSORS = {
    "mlp": ("mm.2.weight", 1), "mlp_norm": ("mm.3.bias", 0),
    "ldp": ("mm.model.mb_block.1.block.2.1.bias", 0), "ldpv2": ("mm.model.peg.0.bias", 0),
    "resampler": ("resampler.proj.weight", 0), "qwen2vl_merger": ("mm.1.bias", 0),
    "qwen2.5vl_merger": ("mm.1.bias", 0), "gemma3": ("mm.input_projection.weight", 0),
    "idefics3": ("mm.model.fc.weight", 1), "pixtral": ("mm.2.weight", 1), "internvl": ("mm.3.weight", 1),
    "llama4": ("mm.model.fc.weight", 1), "lfm2": ("mm.2.weight", 1), "kimivl": ("mm.2.weight", 1),
}
# Text-model architectures that only exist as the decoder of a vision model.
VISION_ARCHITECTURES = frozenset({"qwen2vl", "qwen3vl", "qwen3vlmoe", "cogvlm", "hunyuan_vl", "paddleocr",
                                  "deepseek2-ocr", "llama4", "mistral3", "gemma3n"})
_VISION_NAME = re.compile(
    r"(?i)(?<![a-z])(vl|vlm|vision|llava|bakllava|pixtral|minicpm-?v|moondream|smolvlm\d*|idefics\d*|internvl\d*"
    r"|qwen\d(\.\d)?-?vl|gemma-?3-\d+b|ocr)(?![a-z])"
)
_GENERIC_STEMS = {"", "model", "vision", "projector", "mm"}


@dataclass(frozen=True)
class MmprojInfo:
    path: Path
    projector_type: str
    output_width: int | None  # embedding width it produces
    image_size: int | None
    patch_size: int | None
    name: str | None
    grid_pinpoints: bool = False  # LLaVA-1.6 style tiling (clip.vision.image_grid_pinpoints)


@dataclass(frozen=True)
class Pairing:
    mmproj: MmprojInfo
    reason: str  # why this one, in words


def read_mmproj(path: str | os.PathLike[str], header: GGUFHeader | None = None) -> MmprojInfo:
    """Validate ``path`` as a vision projector; ModelFileError if it is not one."""
    path = Path(path)
    header = header or validate_gguf(path)
    meta = header.metadata
    if header.architecture != "clip":
        raise ModelFileError(path, f"not an mmproj (vision projector): its architecture is {header.architecture!r}")
    if meta.get("clip.has_vision_encoder") is False or not (
        meta.get("clip.has_vision_encoder") or meta.get("clip.vision.image_size")
    ):
        raise ModelFileError(path, "this mmproj has no vision encoder (an audio-only projector?)")
    projector = meta.get("clip.projector_type") or meta.get("clip.vision.projector_type") or "unknown"
    return MmprojInfo(path, str(projector), _output_width(header, str(projector)),
                      _int(meta.get("clip.vision.image_size")), _int(meta.get("clip.vision.patch_size")),
                      meta.get("general.name") if isinstance(meta.get("general.name"), str) else None,
                      meta.get("clip.vision.image_grid_pinpoints") is not None)


def text_width(header: GGUFHeader) -> int | None:
    """The width the text model takes embeddings in (llama_model_n_embd_inp)."""
    arch = header.architecture
    n_embd = _int(header.metadata.get(f"{arch}.embedding_length"))
    deepstack = _int(header.metadata.get(f"{arch}.n_deepstack_layers")) or 0  # qwen3-vl stacks extra features
    return None if n_embd is None else n_embd * (1 + deepstack)


def check_pair(model: Path, model_header: GGUFHeader, mmproj: MmprojInfo) -> None:
    """Raise MmprojMismatch when the widths differ (both known)."""
    width = text_width(model_header)
    if width is not None and mmproj.output_width is not None and width != mmproj.output_width:
        raise MmprojMismatch(Path(model), width, mmproj.path, mmproj.output_width)


def vision_hint(model: Path, header: GGUFHeader) -> str | None:
    """Why ``model`` looks like the text half of a vision model, or None."""
    meta = header.metadata
    if header.architecture in VISION_ARCHITECTURES:
        return f"its architecture {header.architecture!r} is the text half of a vision model"
    if meta.get(f"{header.architecture}.rope.dimension_sections") is not None:
        return "it uses multimodal rotary positions (M-RoPE)"
    for value in (meta.get("general.name"), meta.get("general.basename"), Path(model).name):
        if isinstance(value, str) and (m := _VISION_NAME.search(value)):
            return f"its name says {m.group(0)!r}"
    return None


def mmproj_stem(name: str) -> str:
    """'mmproj-Qwen2.5-VL-7B-Instruct-f16.gguf' -> 'qwen2.5-vl-7b-instruct'."""
    base = re.sub(r"(?i)(^|[-_.])mmproj(?=[-_.]|$)", r"\1", Path(name).name)
    return name_stem(base.strip("-_.") or "model.gguf").strip("-_.")


def rank_candidates(model: Path, header: GGUFHeader, candidates: list[MmprojInfo],
                    folder_models: list[Path] | None = None) -> list[Pairing]:
    """Projectors that fit ``model``, best first, each with the reason it fits."""
    return [pairing for _, pairing in _ranked(model, header, candidates, folder_models)]


def _ranked(model: Path, header: GGUFHeader, candidates: list[MmprojInfo],
            folder_models: list[Path] | None = None) -> list[tuple[int, Pairing]]:
    """(score, pairing): 2 name or folder or metadata match, 0 width match only."""
    model = Path(model)
    stem, width = name_stem(model.name), text_width(header)
    siblings = folder_models if folder_models is not None else _folder_models(model.parent)
    one_model_folder = len({name_stem(p.name) for p in siblings} | {stem}) == 1
    ranked: list[tuple[int, Pairing]] = []
    for info in candidates:
        if width is not None and info.output_width is not None and info.output_width != width:
            continue
        same_folder = info.path.parent.resolve() == model.parent.resolve()
        candidate_stem = mmproj_stem(info.path.name)
        if candidate_stem not in _GENERIC_STEMS and (candidate_stem == stem or stem.startswith(candidate_stem)):
            ranked.append((3, Pairing(info, "its name matches")))
        elif same_folder and one_model_folder:
            ranked.append((2, Pairing(info, "it ships in the model's folder")))
        elif info.name and _name_key(info.name) == _name_key(header.metadata.get("general.name")):
            ranked.append((2, Pairing(info, "its metadata names the same model")))
        elif width is not None and info.output_width == width:
            ranked.append((0, Pairing(info, f"its output width {width} matches")))
    ranked.sort(key=lambda r: -r[0])
    return ranked


def auto_pair(model: Path, header: GGUFHeader, candidates: list[MmprojInfo] | None = None) -> Pairing | None:
    """The projector to load with ``model`` when the user did not choose one.

    A name or folder match wins. A width match alone is trusted only for a
    model that looks like a vision model and has exactly one such projector.
    """
    candidates = find_mmproj_files(model.parent) if candidates is None else candidates
    ranked = _ranked(model, header, candidates)
    if not ranked:
        return None
    score, best = ranked[0]
    if score > 0:
        return best
    if len(ranked) == 1 and vision_hint(model, header):
        return Pairing(best.mmproj, "it is the only mmproj whose output width matches")
    return None


def find_mmproj_files(folder: Path) -> list[MmprojInfo]:
    """Readable projectors in ``folder`` (by name: real repos always say mmproj)."""
    found = []
    for path in sorted(Path(folder).glob("*.gguf")) if Path(folder).is_dir() else []:
        if is_mmproj(path.name) and path.is_file():
            try:
                found.append(read_mmproj(path))
            except ModelFileError:
                continue  # a broken projector is reported when chosen by hand, not auto-picked
    return found


def pair_library(models: list[tuple[Path, GGUFHeader]], projectors: list[MmprojInfo]) -> dict[Path, Pairing]:
    """Pair each library model with its projector (models without one are left out).
    Projectors next to the model are preferred; others only pair by width."""
    pairs = {}
    for path, header in models:
        local = [p for p in projectors if p.path.parent == path.parent]
        choice = auto_pair(path, header, local or projectors)
        if choice is not None:
            pairs[path] = choice
    return pairs


def _folder_models(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.glob("*.gguf") if not is_mmproj(p.name)]


def _output_width(header: GGUFHeader, projector: str) -> int | None:
    spec = _OUTPUT_WIDTH_TENSORS.get(projector)
    if spec is not None:
        name, dim = spec
        tensor = next((t for t in header.tensors if t.name == name), None)
        if tensor is not None and len(tensor.shape) > dim:
            return int(tensor.shape[dim])
    return _int(header.metadata.get("clip.vision.projection_dim"))


def _name_key(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return re.sub(r"(?i)\b(mmproj|projector|vision|f16|f32|bf16)\b|[^a-z0-9]", "", value.lower()) or None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
