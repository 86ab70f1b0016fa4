"""Where a reply's accepted draft tokens are, as character spans.

Spans are [start, end) offsets into the reply's Markdown source (the text
the tokens streamed). The chat shows that source rendered, so spans are
mapped onto the shown text by aligning the two (difflib); markup the
renderer dropped simply carries no span.
"""

from __future__ import annotations

from difflib import SequenceMatcher

Span = tuple[int, int]


def add_span(spans: list[Span], start: int, end: int) -> None:
    """Append [start, end), merging it into the last span when they touch."""
    if end <= start:
        return
    if spans and spans[-1][1] == start:
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))


def map_spans(source: str, shown: str, spans: list[Span]) -> list[Span]:
    """``spans`` of ``source`` as spans of ``shown``."""
    if shown == source or source.startswith(shown):  # streaming: the shown text is a prefix
        limit = len(shown)
        return [(s, min(e, limit)) for s, e in spans if s < limit]
    blocks = SequenceMatcher(None, source, shown, autojunk=False).get_matching_blocks()
    mapped: list[Span] = []
    for s, e in spans:
        for a, b, size in blocks:
            lo, hi = max(s, a), min(e, a + size)
            if lo < hi:
                add_span(mapped, b + lo - a, b + hi - a)
    return mapped


def utf16_offsets(text: str) -> list[int] | None:
    """Qt counts positions in UTF-16 units: the unit offset of each code point
    (plus the end), or None when the two agree (no characters above U+FFFF)."""
    if all(ord(c) <= 0xFFFF for c in text):
        return None
    offsets, unit = [], 0
    for c in text:
        offsets.append(unit)
        unit += 2 if ord(c) > 0xFFFF else 1
    offsets.append(unit)
    return offsets
