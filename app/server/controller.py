"""The Server page's state, Qt-free: configuration, the running session, the request log and the
throughput series built from llama-server's counters. start/stop/poll block; the page runs them off
the GUI thread."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace

from app.server.config import ServeConfig, new_api_key, resolve_api_key
from app.server.monitor import ServerSnapshot
from app.server.names import ServedModel
from app.server.process import ServerEvent
from app.server.request_log import RequestRecord
from app.server.session import ServeSession

LOG_ROWS = 500


@dataclass(frozen=True)
class ThroughputPoint:
    at: float
    tokens_per_second: float
    busy_slots: int


class ServerController:
    def __init__(self, config: ServeConfig | None = None):
        self.config = config or ServeConfig(resolve_api_key(None)[0])  # WORKBENCH_API_KEY if set
        self.session: ServeSession | None = None
        self.models: list[ServedModel] = []
        self.requests: deque[RequestRecord] = deque(maxlen=LOG_ROWS)
        self.throughput: deque[ThroughputPoint] = deque(maxlen=600)
        self.events: deque[ServerEvent] = deque(maxlen=50)
        self.last: ServerSnapshot | None = None
        self._previous: tuple[float, float] | None = None  # (time, tokens_predicted)
        self._lock = threading.Lock()  # poll (worker thread) against stop (another worker)

    @property
    def running(self) -> bool:
        return self.session is not None

    def set_port(self, port: int) -> None:
        self.config = replace(self.config, port=port)

    def regenerate_key(self) -> str:
        if self.running:
            raise RuntimeError("stop the server before changing its key")
        self.config = replace(self.config, api_key=new_api_key())
        return self.config.api_key

    def start(self, models: list[ServedModel]) -> None:
        session = ServeSession(self.config, models, on_event=self.events.append)
        session.start()
        with self._lock:
            self.session, self.models = session, models
            self._previous = None

    def stop(self) -> None:
        with self._lock:
            session, self.session, self.last = self.session, None, None
        if session is not None:
            session.stop()

    def poll(self) -> ServerSnapshot | None:
        with self._lock:
            if self.session is None:
                return None
            snapshot = self.session.poll()
            self.last = snapshot
            self.requests.extend(snapshot.requests)
            self._add_throughput(snapshot)
            return snapshot

    def _add_throughput(self, snapshot: ServerSnapshot) -> None:
        total = snapshot.tokens_predicted
        rate = 0.0
        if self._previous is not None:
            t0, n0 = self._previous
            # a counter that went down belongs to a model that slept or unloaded: no negative rates
            rate = max(0.0, total - n0) / max(snapshot.at - t0, 1e-3)
        self._previous = (snapshot.at, total)
        busy = sum(m.slots_busy for m in snapshot.loaded)
        self.throughput.append(ThroughputPoint(snapshot.at, rate, busy))
