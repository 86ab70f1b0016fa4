"""Can this GGUF be a speculative-decoding draft for that one?

A draft proposes token ids that the target then verifies, so both must map
ids to the same text and agree on the special tokens; otherwise the output
silently turns to garbage (text-generation-webui hangs on it, LM Studio
hides the draft without saying why). Checked from GGUF metadata in Python,
before any model is loaded, with a message that names the first difference.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from models.errors import IncompatibleDraft, ModelFileError
from models.gguf.vocab import Vocab, read_vocab
from models.library.scan import LibraryEntry

# A draft this big (file size, relative to the target's) saves little time. Size
# in bytes, not parameters: decoding is mostly reading weights, so a Q4 copy of
# a Q8 model is a cheaper draft although it has as many parameters.
WARN_SIZE_RATIO = 0.5


@dataclass(frozen=True)
class DraftCheck:
    problems: list[str] = field(default_factory=list)  # any one makes the pair unusable
    warnings: list[str] = field(default_factory=list)
    size_ratio: float | None = None  # draft file size / target file size

    @property
    def ok(self) -> bool:
        return not self.problems


def _show(token: bytes) -> str:
    text = token.decode("utf-8", errors="backslashreplace")
    return repr(text if len(text) <= 40 else text[:40] + "…")


def vocab_differences(target: Vocab, draft: Vocab) -> list[str]:
    """Each way the draft's tokenizer differs, as 'what: target vs draft'."""
    problems = []
    if target.model != draft.model:
        problems.append(f"tokenizer type {target.model!r} vs {draft.model!r}")
    if target.pre != draft.pre:
        problems.append(f"pre-tokenizer {target.pre!r} vs {draft.pre!r}")
    if target.size != draft.size:
        problems.append(f"vocab size {target.size} vs {draft.size}")
    if target.tokens_sha256 != draft.tokens_sha256:
        for i, (a, b) in enumerate(zip(target.tokens, draft.tokens, strict=False)):
            if a != b:
                problems.append(f"token {i} differs: {_show(a)} vs {_show(b)}")
                break
    elif target.token_types != draft.token_types:
        index = next(i for i, (a, b) in enumerate(zip(target.token_types, draft.token_types, strict=False)) if a != b)
        problems.append(
            f"token {index} type differs: {target.token_types[index]} vs {draft.token_types[index]}"
        )
    if target.merges_sha256 != draft.merges_sha256:
        problems.append("BPE merges differ")
    for name in sorted(set(target.special_ids) | set(draft.special_ids)):
        a, b = target.special_ids.get(name), draft.special_ids.get(name)
        if a != b:
            problems.append(f"{name} id {_id(a)} vs {_id(b)}")
    if target.add_bos != draft.add_bos:
        problems.append(f"add-BOS {target.add_bos} vs {draft.add_bos}")
    return problems


def _id(value: int | None) -> str:
    return "none" if value is None else str(value)


def check_draft(target: str | os.PathLike[str], draft: str | os.PathLike[str]) -> DraftCheck:
    """Compare the two tokenizers and sizes; bad files raise ModelFileError."""
    t, d = read_vocab(target), read_vocab(draft)
    problems = vocab_differences(t, d)
    if not t.tokens or not d.tokens:
        missing = Path(target if not t.tokens else draft).name
        problems.insert(0, f"{missing} has no tokenizer")
    warnings = []
    ratio = d.file_size / t.file_size if t.file_size else None
    if ratio is not None and ratio >= WARN_SIZE_RATIO:
        warnings.append(
            f"the draft is {ratio:.0%} of the target's size; a draft pays off when it is "
            "much smaller (about 1/8 or less)"
        )
    return DraftCheck(problems, warnings, ratio)


def require_compatible_draft(target: str | os.PathLike[str], draft: str | os.PathLike[str]) -> DraftCheck:
    """check_draft, raising IncompatibleDraft that names the differences."""
    check = check_draft(target, draft)
    if not check.ok:
        raise IncompatibleDraft(
            f"{Path(draft).name} cannot draft for {Path(target).name}: the tokenizers differ "
            f"({'; '.join(check.problems[:3])})"
        )
    return check


@dataclass(frozen=True)
class DraftCandidate:
    path: Path
    name: str
    check: DraftCheck


@dataclass(frozen=True)
class DraftChoices:
    compatible: list[DraftCandidate]  # smallest first
    excluded: list[tuple[Path, str, str]]  # (path, name, why it is not offered)


def library_draft_choices(target: str | os.PathLike[str], entries: list[LibraryEntry]) -> DraftChoices:
    """draft_choices over the local library (``library_scan.scan_library``).

    Header facts the scan already has (vocabulary size, tokenizer type,
    parameters) rule most models out before any token list is read."""
    t = read_vocab(target)
    quick: list[tuple[Path, str, str]] = []
    readable: list[tuple[Path, str]] = []
    for e in entries:
        if e.info is None:
            quick.append((e.path, e.display_name, f"unreadable: {e.problem}"))
        elif e.info.vocab_size != t.size and Path(e.path).resolve() != Path(target).resolve():
            quick.append((e.path, e.display_name, f"tokenizer differs: vocab size {t.size} vs {e.info.vocab_size}"))
        elif e.info.tokenizer_model != t.model:
            quick.append((e.path, e.display_name,
                          f"tokenizer differs: tokenizer type {t.model!r} vs {e.info.tokenizer_model!r}"))
        elif e.info.file_size >= t.file_size and Path(e.path).resolve() != Path(target).resolve():
            ratio = e.info.file_size / t.file_size
            quick.append((e.path, e.display_name, f"not smaller than the target ({ratio:.1f}× its size)"))
        else:
            readable.append((e.path, e.display_name))
    choices = draft_choices(target, readable)
    return DraftChoices(choices.compatible, choices.excluded + quick)


def draft_choices(target: str | os.PathLike[str], models: list[tuple[Path, str]]) -> DraftChoices:
    """Split ``models`` ((path, display name) pairs, e.g. from
    ``library_scan.scan_library``) into usable drafts for ``target`` and the
    rest, each with the reason it is left out."""
    target = Path(target)
    read_vocab(target)  # a bad target fails here, not once per candidate
    compatible: list[DraftCandidate] = []
    excluded: list[tuple[Path, str, str]] = []
    target_real = target.resolve()
    for path, name in models:
        if Path(path).resolve() == target_real:
            excluded.append((path, name, "it is the target model"))
            continue
        try:
            check = check_draft(target, path)
        except ModelFileError as exc:
            excluded.append((path, name, f"unreadable: {exc.problem}"))
            continue
        if not check.ok:
            excluded.append((path, name, "tokenizer differs: " + "; ".join(check.problems[:2])))
        elif check.size_ratio is not None and check.size_ratio >= 1.0:
            excluded.append((path, name, f"not smaller than the target ({check.size_ratio:.1f}× its size)"))
        else:
            compatible.append(DraftCandidate(Path(path), name, check))
    compatible.sort(key=lambda c: (c.check.size_ratio or 0.0, c.name))
    return DraftChoices(compatible, excluded)
