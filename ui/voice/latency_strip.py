"""The per-turn latency strip: from the end of speech to the transcript, the
first LLM token and the first audio, the number voice users care about.

A bar shows the three spans to scale (speech to text, LLM to first token, TTS
to first audio); below it, the same in milliseconds with Workbench's overhead
and the previous turns for comparison.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.voice.timeline import TurnTimeline
from ui.common.elided_label import ElidedLabel
from ui.common.long_text import never_widens

SPANS = (("transcript", "speech → text", "#4e79a7"), ("first_token", "→ first token", "#f28e2b"),
         ("first_audio", "→ first audio", "#59a14f"))
HISTORY = 5


class LatencyBar(QWidget):
    """Three consecutive spans, scaled to the longest turn seen so far."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.marks: list[float] = []  # cumulative ms at the end of each span
        self.scale_ms = 1.0

    def set_marks(self, marks: list[float]) -> None:
        self.marks = marks
        self.scale_ms = max(self.scale_ms, *(marks or [1.0]))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.width(), self.height()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().alternateBase())
        painter.drawRoundedRect(QRectF(0, 0, width, height), 3, 3)
        start = 0.0
        for (_, _, colour), end in zip(SPANS, self.marks, strict=False):
            x0, x1 = width * start / self.scale_ms, width * end / self.scale_ms
            painter.setBrush(QColor(colour))
            painter.drawRect(QRectF(x0, 0, max(1.0, x1 - x0), height))
            start = end
        painter.end()


class VoiceLatencyStrip(QFrame):
    def __init__(self) -> None:
        super().__init__(objectName="voiceLatencyStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = never_widens(QLabel("Latency — no turn yet"))  # long turn lines wrap, never widen
        self.title.setStyleSheet("font-weight: 600;")
        self.bar = LatencyBar()
        self.values: dict[str, QLabel] = {}
        legend = QHBoxLayout()
        for key, label, colour in SPANS:
            value = QLabel(f"<span style='color:{colour}'>■</span> {label} —")
            value.setObjectName(f"latency_{key}")
            self.values[key] = value
            legend.addWidget(value)
        self.overhead = ElidedLabel("", tip="Wall time of the turn spent outside every VAD, STT, LLM and TTS call")
        legend.addStretch(1)
        legend.addWidget(self.overhead, 1)
        self.overhead.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.history = never_widens(QLabel(""))
        self.history.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addLayout(legend)
        layout.addWidget(self.history)
        self.turns: list[TurnTimeline] = []

    def show_turn(self, timeline: TurnTimeline) -> None:
        self.turns.append(timeline)
        lat = timeline.latencies_ms()
        streamed = " · spoken while the LLM was still writing" if timeline.audio_before_llm_done else ""
        self.title.setText(f"Turn {timeline.turn} latency (VAD waited {timeline.vad_delay_s * 1000:.0f} ms of "
                           f"silence first){streamed}")
        marks = [v for v in (lat["transcript"], lat["first_token"], lat["first_audio"]) if v is not None]
        self.bar.set_marks(marks)
        for key, label, colour in SPANS:
            value = lat[key]
            text = "—" if value is None else f"{value:.0f} ms"
            self.values[key].setText(f"<span style='color:{colour}'>■</span> {label} <b>{text}</b>")
        self.overhead.setText(f"overhead {timeline.overhead_ms:.1f} ms · turn {timeline.stage_s.get('wall', 0):.2f} s")
        self.history.setText(self._history_text())

    def _history_text(self) -> str:
        earlier = self.turns[-HISTORY - 1:-1]
        if not earlier:
            return ""
        parts = []
        for t in earlier:
            lat = t.latencies_ms()
            first = lat["first_audio"]
            parts.append(f"turn {t.turn}: {first:.0f} ms" if first is not None else f"turn {t.turn}: no audio")
        return "Earlier turns, end of speech → first audio: " + " · ".join(parts)

    def text(self) -> str:
        """Everything the strip says, for tests and accessibility."""
        labels = [self.title.text(), *(v.text() for v in self.values.values()), self.overhead.text(),
                  self.history.text()]
        return " | ".join(labels)
