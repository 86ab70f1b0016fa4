"""Scrolling a page never changes a value by itself.

Qt gives wheel events to a spin box, combo box or slider under the pointer even
when it has no focus, so scrolling over an options panel changed Temperature
(0.80 → 1.25). One application-wide event filter sends such wheel events to the
scroll area around the widget instead; a focused widget still takes them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

_GUARDED = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


class WheelGuard(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Wheel or not isinstance(obj, _GUARDED) or obj.hasFocus():
            return False
        if isinstance(obj, QScrollBar):
            return False  # scrolling is a scroll bar's job
        area = _scroll_area_of(obj)
        if area is not None:
            QCoreApplication.sendEvent(area.verticalScrollBar(), event)
        return True


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Install once per application (idempotent); returns the filter."""
    guard = app.property("workbench_wheel_guard")
    if isinstance(guard, WheelGuard):
        return guard
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    app.setProperty("workbench_wheel_guard", guard)
    return guard
