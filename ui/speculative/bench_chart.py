"""Plain vs speculative tokens/s per prompt (bars) and acceptance (line), for
the Speculative page's A/B run. Bars are added as prompts finish."""

from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from app.speculative.bench import PromptResult
from ui.common.rolling_chart import nice_step
from ui.common.themed_chart_view import ThemedChartView

PLAIN_COLOR, SPEC_COLOR, ACCEPT_COLOR = "#9aa0a6", "#3b82f6", "#f59e0b"


def prompt_label(index: int, prompt: str, width: int = 18) -> str:
    """"2: def fibonacci(n)…": the prompt's start, so a bar says which prompt it is."""
    text = " ".join(prompt.split())
    return f"{index + 1}: {text if len(text) <= width else text[:width - 1] + '…'}"


class SpecBenchChart(ThemedChartView):
    def __init__(self) -> None:
        chart = QChart()
        super().__init__(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)
        chart.setTitle("Tokens/s per prompt: plain vs speculative")
        chart.setMargins(QMargins(4, 4, 8, 4))
        self.plain_set, self.spec_set = QBarSet("plain"), QBarSet("speculative")
        self.plain_set.setColor(QColor(PLAIN_COLOR))
        self.spec_set.setColor(QColor(SPEC_COLOR))
        self.bars = QBarSeries()
        self.bars.append(self.plain_set)
        self.bars.append(self.spec_set)
        self.acceptance = QLineSeries(name="acceptance %")
        self.acceptance.setPen(QPen(QColor(ACCEPT_COLOR), 2))
        self.acceptance.setPointsVisible(True)
        chart.addSeries(self.bars)
        chart.addSeries(self.acceptance)
        self.x_axis = QBarCategoryAxis()
        self.y_axis = QValueAxis(titleText="tokens/s", labelFormat="%.0f")
        self.rate_axis = QValueAxis(titleText="acceptance %", labelFormat="%.0f", min=0, max=100, tickCount=6)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.rate_axis, Qt.AlignmentFlag.AlignRight)
        # The line gets its own hidden x axis spanning the categories' [-0.5, n - 0.5]:
        # attached to the category axis it would rewrite the categories.
        self.line_x_axis = QValueAxis(visible=False)
        chart.addAxis(self.line_x_axis, Qt.AlignmentFlag.AlignBottom)
        self.bars.attachAxis(self.x_axis)
        self.bars.attachAxis(self.y_axis)
        self.acceptance.attachAxis(self.line_x_axis)
        self.acceptance.attachAxis(self.rate_axis)
        self._dark = False
        self.clear()
        self.follow_palette()

    def clear(self) -> None:
        self.records: list[PromptResult] = []
        self.plain_set.remove(0, self.plain_set.count())
        self.spec_set.remove(0, self.spec_set.count())
        self.acceptance.clear()
        self.x_axis.clear()
        self.line_x_axis.setRange(-0.5, 0.5)
        self.y_axis.setRange(0, 100)
        self.y_axis.setTickCount(6)

    def add_prompt(self, result: PromptResult) -> None:
        index = self.plain_set.count()
        self.records.append(result)
        self.x_axis.append([prompt_label(index, result.prompt)])  # a bare str would be a list of characters
        self.plain_set.append(result.plain_tps)
        self.spec_set.append(result.spec_tps)
        self.acceptance.append(index, 100.0 * result.acceptance_rate)
        self.line_x_axis.setRange(-0.5, index + 0.5)
        top = max(max(self.plain_set.at(i), self.spec_set.at(i)) for i in range(self.plain_set.count()))
        step = nice_step(top or 1.0)
        ticks = int(top / step) + 1
        self.y_axis.setRange(0, step * ticks)
        self.y_axis.setTickCount(ticks + 1)

    def values(self) -> list[tuple[float, float, float]]:
        """(plain t/s, speculative t/s, acceptance %) per prompt, for tests."""
        return [(self.plain_set.at(i), self.spec_set.at(i), self.acceptance.at(i).y())
                for i in range(self.plain_set.count())]

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        chart = self.chart()
        chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        chart.setBackgroundRoundness(6)
        # Theme changes reset series colours; keep ours.
        self.plain_set.setColor(QColor(PLAIN_COLOR))
        self.spec_set.setColor(QColor(SPEC_COLOR))
        self.acceptance.setPen(QPen(QColor(ACCEPT_COLOR), 2))
