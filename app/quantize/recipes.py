r"""Quantization recipes: a standard type plus per-tensor overrides.

A recipe keeps chosen tensors at a higher type, as llama-quantize's
``--tensor-type PATTERN=TYPE`` does (PATTERN is a regular expression searched
in the tensor name, so anchor it: ``output\.weight`` also matches
``blk.0.attn_output.weight``; the first matching rule wins). A rule's type is either a
ggml type name (``q8_0``) or ``+N``: N steps up the K-quant ladder from the
base type's main tensor type (``attn_=+1`` on Q4_K_M gives attention q5_K).

The recipe travels in the output: its name goes into the file name, and
``metadata()`` gives the GGUF keys Compare reads back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import RecipeError

# The main tensor type of each standard target, and the ladder "+N" climbs.
_MAIN_TYPE = {"Q8_0": "q8_0", "Q6_K": "q6_K", "Q5_K_M": "q5_K", "Q5_K_S": "q5_K", "Q4_K_M": "q4_K",
              "Q4_K_S": "q4_K", "Q3_K_M": "q3_K", "Q3_K_S": "q3_K", "Q2_K": "q2_K",
              "IQ4_XS": "q4_K"}  # IQ4_XS sits with q4_K: one step up is q5_K
LADDER = ("q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "q8_0", "f16")
NAME_KEY, RULES_KEY = "workbench.recipe", "workbench.recipe.rules"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_STEP = re.compile(r"^\+([1-9])$")
_MAX_KV = 127  # llama.cpp keeps 127 bytes of a string override


def ggml_type_name(name: str) -> str:
    """ggml's spelling of a type name (case-insensitive, as llama-quantize parses it)."""
    import gguf

    for member in gguf.GGMLQuantizationType:
        if member.name.lower() == name.lower():
            return member.name.lower().replace("_k", "_K")
    valid = ", ".join(sorted(m.name.lower() for m in gguf.GGMLQuantizationType))
    raise RecipeError(f"unknown tensor type {name!r}; valid: {valid}")


@dataclass(frozen=True)
class Recipe:
    name: str
    rules: tuple[tuple[str, str], ...]  # (tensor-name pattern, ggml type or "+N"), first match wins
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise RecipeError(f"recipe name {self.name!r}: use letters, digits, '-', '_' or '.' (at most 40)")
        if not self.rules:
            raise RecipeError(f"recipe {self.name!r} has no rules")
        for pattern, kind in self.rules:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise RecipeError(f"recipe {self.name!r}: bad tensor pattern {pattern!r} ({exc})") from exc
            if not _STEP.match(kind):
                ggml_type_name(kind)

    def resolve(self, base: str) -> list[tuple[str, str]]:
        """The rules with "+N" turned into a type for this base (e.g. Q4_K_M)."""
        main = _MAIN_TYPE.get(base.upper())
        if main is None:
            raise RecipeError(f"recipes apply to {', '.join(_MAIN_TYPE)}; not {base}")
        resolved = []
        for pattern, kind in self.rules:
            step = _STEP.match(kind)
            if step:
                kind = LADDER[min(LADDER.index(main) + int(step.group(1)), len(LADDER) - 1)]
            resolved.append((pattern, ggml_type_name(kind)))
        return resolved

    def text(self) -> str:
        """The rules as one line: ``pattern=type,pattern=+1``."""
        return ",".join(f"{p}={t}" for p, t in self.rules)

    def metadata(self, base: str) -> dict[str, str]:
        """GGUF keys for the output: the name and the resolved rules (within llama.cpp's 127 bytes)."""
        rules = f"{base.upper()} " + ",".join(f"{p}={t}" for p, t in self.resolve(base))
        if len(rules.encode()) > _MAX_KV:
            raise RecipeError(f"recipe {self.name!r} is too long to record in the file ({len(rules)} > {_MAX_KV} "
                              "bytes); use fewer or shorter patterns")
        return {NAME_KEY: self.name, RULES_KEY: rules}


def parse_rules(text: str) -> tuple[tuple[str, str], ...]:
    """``output.weight=q8_0,attn_=+1`` (commas or whitespace between rules)."""
    rules = []
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        pattern, sep, kind = item.rpartition("=")
        if not sep or not pattern or not kind:
            raise RecipeError(f"recipe rule {item!r} must be TENSOR_PATTERN=TYPE (e.g. output.weight=q8_0 or attn_=+1)")
        rules.append((pattern, kind))
    if not rules:
        raise RecipeError("the recipe has no rules")
    return tuple(rules)


PRESETS: tuple[Recipe, ...] = (
    Recipe("keep-output", (("^output\\.weight", "q8_0"), ("^token_embd\\.", "q8_0")),
           "output and token embeddings at q8_0"),
    Recipe("attn-up", (("attn_", "+1"),), "attention one step up"),
    Recipe("quality", (("^output\\.weight", "q8_0"), ("^token_embd\\.", "q8_0"), ("attn_v", "+2"), ("attn_", "+1"),
                       ("ffn_down", "+1")),
           "output and embeddings at q8_0, attention V two steps up, other attention and ffn_down one up"),
)
