"""How the chat becomes a prompt: the model's own template (or, when it has
none, the llama.cpp built-in chosen for its architecture), any llama.cpp
built-in by name, or completion mode (no template) for base models.

The names come from the loaded session (llama.cpp's own list); the note says
which template a model without one gets, and why.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from app.chat.conversation import COMPLETION


class ChatPromptFormat(QWidget):
    changed = Signal(str)  # the new value, when the user picks one

    def __init__(self) -> None:
        super().__init__()
        self.combo = QComboBox()
        self.combo.setToolTip("The chat template that turns the conversation into the model's prompt")
        self.note_label = QLabel(wordWrap=True, objectName="statsLine")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.note_label)
        self.set_model_info(None)
        self.combo.activated.connect(lambda _index: self.changed.emit(self.value()))

    def set_model_info(self, info: dict[str, Any] | None) -> None:
        """Offer what the loaded model's session reports (None: no model loaded)."""
        self.combo.clear()
        if info is None or "chat_templates" not in info:
            self.combo.addItem("Model's template", "")
            self.note_label.setText("")
            self.setEnabled(info is not None)  # a runtime without templates keeps its own default
            return
        default = info.get("chat_template", "model")
        self.combo.addItem("Model's own template" if default == "model" else f"Automatic: llama.cpp's {default!r}", "")
        self.combo.addItem("Completion (no template)", COMPLETION)
        for name in info["chat_templates"]:
            self.combo.addItem(f"llama.cpp: {name}", name)
        self.note_label.setText(_sentence(info.get("chat_template_note", "")))
        self.setEnabled(True)

    def value(self) -> str:
        """"" (automatic), COMPLETION or a built-in template name."""
        return self.combo.currentData() or ""

    def names(self) -> list[str]:
        return [self.combo.itemData(i) for i in range(self.combo.count())]

    def choose(self, value: str) -> bool:
        """Select ``value`` as the user does (the page then saves it for the model)."""
        found = self.set_value(value)
        if found:
            self.changed.emit(self.value())
        return found

    def set_value(self, value: str) -> bool:
        """Select ``value``; False (and automatic) when this model offers no such choice."""
        index = self.combo.findData(value)
        self.combo.setCurrentIndex(max(index, 0))
        return index >= 0


def _sentence(note: str) -> str:
    return f"{note[:1].upper()}{note[1:]}." if note else ""
