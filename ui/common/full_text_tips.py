"""Text a narrow combo box or placeholder cuts off is still readable: as its tooltip.

Applied once to a whole window; a tooltip a widget set itself is kept.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

_OWN_TIP = "workbench_own_tooltip"


def _combo_tip(combo: QComboBox) -> None:
    own = combo.property(_OWN_TIP)
    text = combo.currentText()
    combo.setToolTip(f"{own}\n{text}" if own and text else (own or text))


def add_full_text_tips(root: QWidget) -> None:
    for combo in root.findChildren(QComboBox):
        if combo.property(_OWN_TIP) is None:
            combo.setProperty(_OWN_TIP, combo.toolTip())
            combo.currentTextChanged.connect(lambda _text, c=combo: _combo_tip(c))
        _combo_tip(combo)
    for line in root.findChildren(QLineEdit):
        if not line.toolTip() and line.placeholderText():
            line.setToolTip(line.placeholderText())
