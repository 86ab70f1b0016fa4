"""An axis that jumps by orders of magnitude re-ticks at once (QtCharts once laid out millions of ticks)."""

from __future__ import annotations

import time

from ui.compare.plot import ComparePlot, PlotPoint


def test_kld_axis_growing_from_tiny_to_large_is_quick(qtbot):
    plot = ComparePlot("Quality vs size", "KLD mean")
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    plot.set_points([PlotPoint("Q8_0", 3.6, 1e-7)], "MiB")
    qtbot.wait(50)
    started = time.perf_counter()
    plot.set_points([PlotPoint("Q8_0", 3.6, 1e-7), PlotPoint("Q2_K", 1.3, 2.0)], "MiB")
    qtbot.wait(50)
    assert time.perf_counter() - started < 5.0
    assert plot.y_axis.max() >= 2.0 and plot.y_axis.tickInterval() >= 0.1
    plot.set_points([PlotPoint("Q8_0", 3.6, 1e-7)], "MiB")  # and back down
    assert plot.y_axis.max() < 1e-5
