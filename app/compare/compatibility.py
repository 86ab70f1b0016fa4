"""Refuse model pairs whose logits cannot be compared, before loading anything.

KL divergence compares two distributions over the same token ids, so the
architecture must match and the vocabularies must be identical: same token
strings and types in the same order, same tokenizer, same special tokens
(BOS handling changes what every chunk starts with).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import IncompatibleModels

_SCALAR_KEYS = (
    "general.architecture",
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.eot_token_id",
    "tokenizer.ggml.unknown_token_id",
    "tokenizer.ggml.padding_token_id",
    "tokenizer.ggml.add_bos_token",
    "tokenizer.ggml.add_eos_token",
)


@dataclass(frozen=True)
class VocabSignature:
    path: Path
    scalars: dict[str, Any]
    tokens: list[str]
    token_types: list[int]

    @property
    def vocab_hash(self) -> str:
        h = hashlib.sha256()
        for token, kind in zip(self.tokens, self.token_types, strict=False):
            h.update(token.encode("utf-8", "surrogatepass") + b"\0" + str(kind).encode() + b"\n")
        return h.hexdigest()


def read_signature(path: Path) -> VocabSignature:
    import gguf

    try:
        reader = gguf.GGUFReader(path)
    except Exception as exc:  # any parse error: not a usable GGUF
        raise IncompatibleModels(f"{path.name}: cannot read GGUF metadata ({exc})") from exc

    def value(key: str) -> Any:
        field = reader.get_field(key)
        return None if field is None else field.contents()

    return VocabSignature(
        path=path,
        scalars={key: value(key) for key in _SCALAR_KEYS},
        tokens=list(value("tokenizer.ggml.tokens") or []),
        token_types=list(value("tokenizer.ggml.token_type") or []),
    )


def difference(reference: VocabSignature, other: VocabSignature) -> str | None:
    """Why ``other`` cannot be compared with ``reference``, or None if it can."""
    for key in _SCALAR_KEYS:
        a, b = reference.scalars[key], other.scalars[key]
        if a != b:
            return f"{key} differs: {a!r} in {reference.path.name}, {b!r} in {other.path.name}"
    if not reference.tokens:
        return f"{reference.path.name} has no token list"
    if len(reference.tokens) != len(other.tokens):
        return f"vocabulary sizes differ: {len(reference.tokens)} vs {len(other.tokens)}"
    if reference.vocab_hash != other.vocab_hash:
        for i, (a, b) in enumerate(zip(reference.tokens, other.tokens, strict=True)):
            if a != b:
                return f"token {i} differs: {a!r} vs {b!r}"
        for i, (a, b) in enumerate(zip(reference.token_types, other.token_types, strict=False)):
            if a != b:
                return f"type of token {i} ({reference.tokens[i]!r}) differs: {a} vs {b}"
        return "token type lists differ"
    return None


def check_compatible(reference: Path, variants: list[Path]) -> None:
    """Raise IncompatibleModels naming every variant that does not match."""
    ref = read_signature(Path(reference))
    problems = []
    for variant in variants:
        reason = difference(ref, read_signature(Path(variant)))
        if reason:
            problems.append(f"{Path(variant).name}: {reason}")
    if problems:
        raise IncompatibleModels("cannot compare with " + Path(reference).name + ": " + "; ".join(problems))
