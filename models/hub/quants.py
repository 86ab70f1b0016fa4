"""Group a repo's GGUF files by quant type: splits joined, mmproj paired."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from models.hub.files import HubFile

SPLIT = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
# Longest names first so "Q4_K_M" wins over "Q4_K".
QUANT = re.compile(
    r"(?<![A-Za-z0-9])(IQ[1-4]_(?:XXS|XS|S|M|NL)|I?Q[2-8]_K(?:_XL|_L|_M|_S)?|Q[4-8]_[01]|TQ[12]_0|"
    r"MXFP4(?:_MOE)?|BF16|F16|F32|FP16|FP32)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Nominal bits per weight of llama.cpp's quant types (ggml block sizes); K-mixes are approximate.
NOMINAL_BPW = {"F32": 32.0, "F16": 16.0, "BF16": 16.0, "Q8_0": 8.5, "Q6_K": 6.56, "Q5_K_M": 5.69,
               "Q5_K_S": 5.54, "Q5_0": 5.5, "Q5_1": 6.0, "Q4_K_M": 4.89, "Q4_K_S": 4.58, "Q4_0": 4.5,
               "Q4_1": 5.0, "IQ4_NL": 4.5, "IQ4_XS": 4.25, "Q3_K_L": 4.27, "Q3_K_M": 3.91, "Q3_K_S": 3.5,
               "IQ3_M": 3.66, "IQ3_XS": 3.3, "IQ3_XXS": 3.06, "Q2_K": 3.35, "IQ2_M": 2.7, "IQ2_XS": 2.31,
               "IQ2_XXS": 2.06, "IQ1_M": 1.75, "IQ1_S": 1.56, "MXFP4": 4.25}


@dataclass
class QuantOption:
    quant: str  # "Q4_K_M", or "other" when the name says nothing
    files: list[HubFile]  # split parts in order, else one file
    mmproj: HubFile | None = None
    bpw: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def first(self) -> HubFile:
        return self.files[0]


def quant_of(filename: str) -> str | None:
    matches = QUANT.findall(filename.rsplit("/", 1)[-1])
    if not matches:
        return None
    name = matches[-1].upper()
    return {"FP16": "F16", "FP32": "F32"}.get(name, name)


def is_mmproj(filename: str) -> bool:
    return "mmproj" in filename.rsplit("/", 1)[-1].lower()


def group_quants(files: list[HubFile]) -> list[QuantOption]:
    """Options sorted largest first; an incomplete split set is kept but flagged."""
    ggufs = [f for f in files if f.path.lower().endswith(".gguf")]
    projectors = [f for f in ggufs if is_mmproj(f.path)]
    splits: dict[str, list[tuple[int, int, HubFile]]] = {}
    options: list[QuantOption] = []
    for f in ggufs:
        if is_mmproj(f.path):
            continue
        m = SPLIT.match(f.path)
        if m:
            splits.setdefault(m["stem"], []).append((int(m["part"]), int(m["count"]), f))
        else:
            options.append(QuantOption(quant_of(f.path) or "other", [f]))
    for stem, parts in splits.items():
        parts.sort(key=lambda p: p[0])
        option = QuantOption(quant_of(stem) or "other", [p[2] for p in parts])
        count = parts[0][1]
        if [p[0] for p in parts] != list(range(1, count + 1)):
            option.notes.append(f"incomplete split: {len(parts)} of {count} parts listed")
        options.append(option)
    mmproj = _preferred_projector(projectors)
    for option in options:
        option.mmproj = mmproj
        option.bpw = NOMINAL_BPW.get(option.quant)
    return sorted(options, key=lambda o: (-o.size, o.first.path))


def _preferred_projector(projectors: list[HubFile]) -> HubFile | None:
    """One projector serves every quant; prefer F16, then the smallest."""
    if not projectors:
        return None
    return sorted(projectors, key=lambda f: (quant_of(f.path) != "F16", f.size))[0]


def pick(options: list[QuantOption], quant: str) -> QuantOption | None:
    quant = quant.upper()
    return next((o for o in options if o.quant == quant), None)
