"""Sampling settings of the current chat (llama-cli's names and defaults)."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from runtimes.requests import Sampling

RANDOM_SEED = Sampling().seed  # llama.cpp's "pick a random seed" value
_SEED_MAX = 2**31 - 1  # QSpinBox is a C int


def _double(minimum: float, maximum: float, step: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox(minimum=minimum, maximum=maximum, singleStep=step, decimals=2)
    box.setToolTip(tip)
    return box


class ChatSamplingForm(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.temperature = _double(0.0, 5.0, 0.05, "Randomness (--temp); 0 always picks the likeliest token")
        self.top_k = QSpinBox(minimum=0, maximum=100_000, toolTip="Keep the k likeliest tokens (--top-k); 0 = off")
        self.top_p = _double(0.0, 1.0, 0.05, "Nucleus sampling (--top-p); 1 = off")
        self.min_p = _double(0.0, 1.0, 0.01, "Drop tokens below this share of the likeliest (--min-p); 0 = off")
        self.repeat_penalty = _double(0.0, 5.0, 0.05, "Penalise repeated tokens (--repeat-penalty); 1 = off")
        self.seed = QSpinBox(minimum=-1, maximum=_SEED_MAX, toolTip="RNG seed (-s); random picks a new one each time")
        self.seed.setSpecialValueText("random")
        self.max_tokens = QSpinBox(minimum=0, maximum=1 << 20, singleStep=64)
        self.max_tokens.setSpecialValueText("until context is full")
        self.max_tokens.setToolTip("Most tokens to generate per reply (-n)")

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-k", self.top_k)
        form.addRow("Top-p", self.top_p)
        form.addRow("Min-p", self.min_p)
        form.addRow("Repeat penalty", self.repeat_penalty)
        form.addRow("Seed", self.seed)
        form.addRow("Max tokens", self.max_tokens)
        self.set_sampling(Sampling())

    def sampling(self) -> Sampling:
        seed = self.seed.value()
        return Sampling(
            temperature=self.temperature.value(),
            top_k=self.top_k.value(),
            top_p=self.top_p.value(),
            min_p=self.min_p.value(),
            repeat_penalty=self.repeat_penalty.value(),
            seed=RANDOM_SEED if seed < 0 else seed,
            max_tokens=self.max_tokens.value(),
        )

    def set_sampling(self, sampling: Sampling) -> None:
        self.temperature.setValue(sampling.temperature)
        self.top_k.setValue(sampling.top_k)
        self.top_p.setValue(sampling.top_p)
        self.min_p.setValue(sampling.min_p)
        self.repeat_penalty.setValue(sampling.repeat_penalty)
        self.seed.setValue(-1 if not 0 <= sampling.seed <= _SEED_MAX else sampling.seed)
        self.max_tokens.setValue(sampling.max_tokens)
