"""One model's column in the arena: its name and file facts, the streamed
output, and its numbers. Text from the first token that differs from the
reference's output on is shaded, so the divergence point shows at a glance."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QFrame, QLabel, QPlainTextEdit, QVBoxLayout

from app.compare.arena.board import ArenaOutput, Divergence
from app.speculative.report import spec_summary
from ui.common.metric_text import DASH, memory_text

DIVERGED_COLOR = QColor(244, 114, 82, 90)  # translucent: readable on light and dark themes alike


class ArenaColumn(QFrame):
    def __init__(self, model: str, name: str, is_reference: bool) -> None:
        super().__init__(objectName="arenaColumn")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.model, self.is_reference = model, is_reference
        self.title = QLabel(f"<b>{name}</b>" + ("  (reference)" if is_reference else ""))
        self.facts = QLabel(DASH, objectName="statsLine")
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setMinimumWidth(220)
        self.stats = QLabel(DASH, objectName="statsLine", wordWrap=True)
        self.verdict = QLabel("", objectName="statsLine", wordWrap=True)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.facts):
            layout.addWidget(widget)
        layout.addWidget(self.output, 1)
        for widget in (self.verdict, self.stats):
            layout.addWidget(widget)
        self.divergence: Divergence | None = None
        self._shown = 0  # characters of the output already in the editor

    def show_output(self, out: ArenaOutput | None, divergence: Divergence | None) -> None:
        """Bring the column up to date with ``out``; appends only what is new."""
        if out is None:
            self.output.clear()
            self._shown, self.divergence = 0, None
            self.facts.setText(DASH)
            self.stats.setText("waiting…")
            self.verdict.setText("")
            return
        if len(out.text) < self._shown:  # another prompt's output: start over
            self.output.clear()
            self._shown, self.divergence = 0, None
        if len(out.text) > self._shown:
            cursor = self.output.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(out.text[self._shown :], self._format(len(out.text)))
            self._shown = len(out.text)
        if divergence != self.divergence:
            self.divergence = divergence
            self._shade()
        self.facts.setText(_facts_text(out.facts))
        self.stats.setText(_stats_text(out))
        self.verdict.setText(self._verdict(out))

    def shaded_from(self) -> int | None:
        """Character offset where the shading starts, if any (tests read it)."""
        return None if self.divergence is None else self.divergence.char_offset

    def _format(self, _end: int) -> QTextCharFormat:
        fmt = QTextCharFormat()
        if self.divergence is not None:  # new text after the divergence point is shaded as it comes
            fmt.setBackground(DIVERGED_COLOR)
        return fmt

    def _shade(self) -> None:
        cursor = QTextCursor(self.output.document())
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.setCharFormat(QTextCharFormat())
        if self.divergence is not None:
            cursor.setPosition(min(self.divergence.char_offset, self._shown))
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setBackground(DIVERGED_COLOR)
            cursor.setCharFormat(fmt)

    def _verdict(self, out: ArenaOutput) -> str:
        if out.error:
            return f"Error: {out.error}"
        if self.is_reference:
            return ""
        if self.divergence is not None:
            return f"Differs from the reference from token {self.divergence.token_index + 1} on (shaded)"
        return "Same as the reference" if out.finished else "Same as the reference so far"


def _facts_text(facts: dict[str, Any]) -> str:
    parts = [facts["quant"]] if facts.get("quant") else []
    if facts.get("size_bytes"):
        parts.append(memory_text(facts["size_bytes"]))
    if facts.get("bpw"):
        parts.append(f"{facts['bpw']:.2f} bpw")
    return " · ".join(parts) or DASH


def _stats_text(out: ArenaOutput) -> str:
    stats = out.stats
    if stats is None:
        return "generating…" if out.text else "loading…"
    shared = f" · ran alongside {out.concurrent - 1} other model(s), sharing the CPU" if out.concurrent > 1 else ""
    return (f"TTFT {stats['ttft_s'] * 1000:.0f} ms · prompt {stats['prompt_tps']:.1f} t/s · "
            f"gen {stats['gen_tps']:.1f} t/s · {stats['n_gen']} tokens · "
            f"peak {memory_text(stats['peak_rss_bytes'])}{shared}"
            + (f" · {spec_summary(stats['speculative'])}" if stats.get("speculative") else ""))
