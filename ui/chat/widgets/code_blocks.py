"""Find the fenced code blocks in a Markdown reply, for "Copy code".

Follows CommonMark's fence rules closely enough for chat replies: ``` or ~~~
(three or more), indented at most three spaces, closed by the same character
at least as long; an unclosed fence runs to the end of the text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str

    @property
    def label(self) -> str:
        lines = self.code.count("\n") + 1 if self.code else 0
        kind = self.language or "code"
        return f"{kind} ({lines} line{'s' if lines != 1 else ''})"


def _fence(line: str) -> tuple[str, int, str] | None:
    """(fence char, fence length, info string) if ``line`` opens a fence."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or stripped[:3] not in ("```", "~~~"):
        return None
    char = stripped[0]
    length = len(stripped) - len(stripped.lstrip(char))
    info = stripped[length:].strip()
    if char == "`" and "`" in info:  # not a fence: an inline code span
        return None
    return char, length, info


def code_blocks(markdown: str) -> list[CodeBlock]:
    blocks: list[CodeBlock] = []
    open_fence: tuple[str, int, str] | None = None
    body: list[str] = []
    for line in markdown.splitlines():
        if open_fence is None:
            open_fence = _fence(line)
            body = []
            continue
        char, length, info = open_fence
        closing = line.strip()
        if closing and set(closing) == {char} and len(closing) >= length and len(line) - len(line.lstrip(" ")) <= 3:
            blocks.append(CodeBlock(info.split()[0] if info else "", "\n".join(body)))
            open_fence = None
        else:
            body.append(line)
    if open_fence is not None:
        info = open_fence[2]
        blocks.append(CodeBlock(info.split()[0] if info else "", "\n".join(body)))
    return blocks
