"""A wheel event over an unfocused spin box, combo or slider changes nothing."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox, QScrollArea, QSlider, QVBoxLayout, QWidget

from ui.common.wheel_guard import install_wheel_guard


def _wheel(widget: QWidget, steps: int = 1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(QPoint(int(centre.x()), int(centre.y())))), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def _panel(qtbot):
    area = QScrollArea()
    body = QWidget()
    layout = QVBoxLayout(body)
    spin = QDoubleSpinBox(minimum=0.0, maximum=2.0, singleStep=0.05, value=0.8)
    combo = QComboBox()
    combo.addItems(["a", "b", "c"])
    slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=10, value=5)
    for widget in (spin, combo, slider):
        layout.addWidget(widget)
    layout.addSpacing(2000)  # the area can scroll
    area.setWidget(body)
    area.setWidgetResizable(True)
    area.resize(300, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    return area, spin, combo, slider


def test_unfocused_widgets_ignore_the_wheel_and_the_page_scrolls(qtbot):
    install_wheel_guard(QApplication.instance())
    area, spin, combo, slider = _panel(qtbot)
    area.setFocus()
    for widget in (spin, combo, slider):
        _wheel(widget, steps=-3)
    assert (spin.value(), combo.currentIndex(), slider.value()) == (0.8, 0, 5)
    assert area.verticalScrollBar().value() > 0  # the wheel scrolled the page instead


def test_a_focused_spin_box_still_takes_the_wheel(qtbot):
    install_wheel_guard(QApplication.instance())
    _area, spin, _combo, _slider = _panel(qtbot)
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel(spin, steps=1)
    assert spin.value() > 0.8
