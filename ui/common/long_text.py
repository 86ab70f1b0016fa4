"""Long text in a narrow column: let a wrapping label break inside file names
and paths, and keep its own width from ever widening the window."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QLabel, QSizePolicy

ZWSP = "\u200b"  # a break opportunity that prints nothing
_AFTER_SEPARATOR = re.compile(r"([/\\_.\-])(?=\S)")
_LONG_RUN = re.compile(r"(\w{24})(?=\w)")


def breakable(text: str) -> str:
    """``text`` with invisible break points after path separators and inside very long words."""
    return _LONG_RUN.sub(rf"\1{ZWSP}", _AFTER_SEPARATOR.sub(rf"\1{ZWSP}", text))


def set_wrapped_text(label: QLabel, text: str) -> None:
    """Show ``text`` wrapped (breaking inside long names); the tooltip keeps it exactly."""
    label.setText(breakable(text))
    label.setToolTip(text)


def never_widens(label: QLabel) -> QLabel:
    """A wrapping label whose longest word does not set the layout's minimum width."""
    label.setWordWrap(True)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    return label
