"""The control plane's view of a running llama-server router: its own /models, /metrics, /slots
and /models/unload. These are side calls for the page and the budget; requests never pass here."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class ModelStatus:
    name: str
    status: str  # unloaded, loading, loaded, sleeping, downloading
    failed: bool = False
    exit_code: int | None = None


class RouterClient:
    def __init__(self, root_url: str, api_key: str, timeout: float = 3.0):
        self._http = httpx.Client(base_url=root_url, headers={"Authorization": f"Bearer {api_key}"},
                                  timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def models(self) -> list[ModelStatus]:
        response = self._http.get("/models")
        response.raise_for_status()
        result = []
        for item in response.json().get("data", []):
            status = item.get("status") or {}
            result.append(ModelStatus(item["id"], status.get("value", "unknown"), bool(status.get("failed")),
                                      status.get("exit_code")))
        return result

    def metrics(self, model: str) -> dict[str, float]:
        """llama.cpp's Prometheus counters and gauges for one loaded model, e.g. 'tokens_predicted_total'."""
        response = self._http.get("/metrics", params={"model": model, "autoload": "false"})
        response.raise_for_status()
        return parse_metrics(response.text)

    def slots(self, model: str) -> list[dict]:
        """Per-slot detail. A /slots call counts as activity and defers the idle unload: poll /props instead."""
        response = self._http.get("/slots", params={"model": model, "autoload": "false"})
        response.raise_for_status()
        return response.json()

    def props(self, model: str) -> dict:
        """total_slots, n_ctx and more; exempt from the idle timer, like /metrics."""
        response = self._http.get("/props", params={"model": model, "autoload": "false"})
        response.raise_for_status()
        return response.json()

    def unload(self, model: str) -> None:
        self._http.post("/models/unload", json={"model": model}).raise_for_status()


def parse_metrics(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.labels:
                values[sample.name.removeprefix("llamacpp:")] = sample.value
    return values
