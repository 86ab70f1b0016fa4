"""One poll of the running server for the CLI and the page: model states and memory (RSS of each
model instance, from the OS), throughput and busy slots (from /metrics and /slots), new request-log
records (from the log), and the memory budget enforced. Qt-free; the page calls poll() off the GUI thread."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
import psutil

from app.server.budget import MemoryBudget
from app.server.control import RouterClient
from app.server.request_log import LogFollower, RequestLogParser, RequestRecord


@dataclass(frozen=True)
class LoadedModel:
    name: str
    status: str
    rss_bytes: int  # 0 while sleeping or unknown
    slots_busy: int
    slots_total: int
    tokens_predicted: float  # llamacpp:tokens_predicted_total


@dataclass(frozen=True)
class ServerSnapshot:
    at: float
    statuses: dict[str, str]
    loaded: list[LoadedModel]
    router_rss_bytes: int
    requests: list[RequestRecord]  # finished since the previous poll
    unloaded_for_memory: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def memory_bytes(self) -> int:
        return self.router_rss_bytes + sum(m.rss_bytes for m in self.loaded)

    @property
    def tokens_predicted(self) -> float:
        return sum(m.tokens_predicted for m in self.loaded)


class ServerMonitor:
    def __init__(self, client: RouterClient, log_path, router_pid: int | None, budget: MemoryBudget | None = None):
        self.client, self.budget, self.router_pid = client, budget, router_pid
        self._log, self._parser = LogFollower(log_path), RequestLogParser()
        self._total_slots: dict[str, int] = {}

    def poll(self) -> ServerSnapshot:
        records = [r for line in self._log.new_lines() for r in self._parser.feed(line)]
        try:
            statuses = {m.name: m.status for m in self.client.models()}
        except httpx.HTTPError as exc:
            return ServerSnapshot(time.time(), {}, [], 0, records, error=f"server not answering: {exc}")
        victims = self.budget.to_unload(statuses) if self.budget else []
        for name in victims:
            try:
                self.client.unload(name)
            except httpx.HTTPError:
                pass  # already stopping; the next poll sees it
        rss = self._instance_rss()
        loaded = [self._loaded(name, status, rss.get(name, 0))
                  for name, status in statuses.items() if status in ("loaded", "loading", "sleeping")]
        return ServerSnapshot(time.time(), statuses, loaded, rss.get("", 0), records, victims)

    def _loaded(self, name: str, status: str, rss: int) -> LoadedModel:
        busy = total = 0
        predicted = 0.0
        if status == "loaded":
            try:  # /metrics and /props leave the idle timer alone; /slots would keep the model awake
                metrics = self.client.metrics(name)
                busy, predicted = int(metrics.get("requests_processing", 0)), metrics.get("tokens_predicted_total", 0.0)
                total = int(self._total_slots.get(name) or self.client.props(name).get("total_slots", 0))
                self._total_slots[name] = total
            except (httpx.HTTPError, ValueError):
                pass
        return LoadedModel(name, status, rss, busy, total, predicted)

    def _instance_rss(self) -> dict[str, int]:
        """RSS per model instance (the router's children carry `--alias NAME`); "" is the router itself."""
        if self.router_pid is None:
            return {}
        try:
            router = psutil.Process(self.router_pid)
            result = {"": router.memory_info().rss}
            for child in router.children():
                cmd = child.cmdline()
                if "--alias" in cmd:
                    result[cmd[cmd.index("--alias") + 1].split(",")[0]] = child.memory_info().rss
            return result
        except psutil.Error:
            return {}
