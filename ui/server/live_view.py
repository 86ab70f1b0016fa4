"""The Server page's live half: loaded models and their memory beside the Chat page's model, the
throughput chart (tokens/s from llama-server's /metrics counters, busy slots) and the request log."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLabel

from app.server.controller import ThroughputPoint
from app.server.monitor import ServerSnapshot
from ui.common.rolling_chart import Line, RollingChart
from ui.server.tables import LoadedTable, RequestTable

MiB = 2**20
WINDOW_S = 120
LINES = [Line("tps", "tokens/s (all models)", "#3b82f6"), Line("busy", "slots busy", "#f59e0b")]


class LiveView:
    """Owns the widgets; the page places them."""

    def __init__(self) -> None:
        self.loaded = LoadedTable()
        self.memory = QLabel()
        self.chart = RollingChart("Throughput", "t/s, slots", LINES, min_y_max=4.0)
        self.requests = RequestTable()
        self._t0: float | None = None

    def reset(self) -> None:
        self._t0 = None
        self.chart.clear()
        self.loaded.show_snapshot(None)

    def show(self, snapshot: ServerSnapshot, chat_rss: int, throughput: Sequence[ThroughputPoint]) -> None:
        self.loaded.show_snapshot(snapshot)
        self.requests.add_records(snapshot.requests)
        server = snapshot.memory_bytes
        chat = f"Chat page model {chat_rss / MiB:.0f} MiB" if chat_rss else "Chat page: no model loaded"
        self.memory.setText(f"Memory (RSS) — server and its models {server / MiB:.0f} MiB · {chat} · "
                            f"together {(server + chat_rss) / MiB:.0f} MiB")
        if not throughput:
            return
        point = throughput[-1]
        self._t0 = self._t0 or point.at
        x = point.at - self._t0  # seconds since the server started
        self.chart.append(x, {"tps": point.tokens_per_second, "busy": float(point.busy_slots)})
        self.chart.trim(x - WINDOW_S)
        self.chart.show_x(max(0.0, x - WINDOW_S), max(x, 10.0), snap_end=x < WINDOW_S)
        self.chart.show_y_max(max(max(p.tokens_per_second, p.busy_slots) for p in throughput))
