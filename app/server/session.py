"""A serving session: the names, the preset, the memory budget, the supervised llama-server and
its monitor, put together once for `workbench serve` and the Server page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psutil

from app.server.budget import MemoryBudget, model_ram_estimate
from app.server.config import ServeConfig
from app.server.control import RouterClient
from app.server.monitor import ServerMonitor
from app.server.names import ServedModel
from app.server.preset import preset_text, write_preset
from app.server.process import ServerEvent, ServerProcess

# Leave this much of the RAM that was free at start for the rest of the machine (the Chat page included).
RAM_RESERVE_FRACTION = 0.15


def default_workdir() -> Path:
    from app.paths import data_dir

    return data_dir() / "server"


class ServeSession:
    def __init__(self, config: ServeConfig, models: list[ServedModel], workdir: Path | None = None,
                 on_event: Callable[[ServerEvent], None] = lambda e: None, budget_bytes: int | None = None):
        if not models:
            raise ValueError("nothing to serve: the library has no models (download one, or name a GGUF file)")
        self.config, self.models = config, models
        self.workdir = workdir or default_workdir()
        if budget_bytes is None:
            budget_bytes = int(psutil.virtual_memory().available * (1 - RAM_RESERVE_FRACTION))
        self.budget = MemoryBudget(budget_bytes, {m.name: model_ram_estimate(m.path, config.ctx) for m in models})
        text = preset_text(models, config.ctx, config.parallel, config.embeddings, config.idle_unload_s,
                           config.threads, config.chat_template_file, config.rpc, config.n_gpu_layers)
        self.preset = write_preset(self.workdir / "models.ini", text)
        self.process = ServerProcess(config, self.preset, self.workdir, on_event)
        self.client: RouterClient | None = None
        self.monitor: ServerMonitor | None = None

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def start(self) -> None:
        self.process.start()
        self.client = RouterClient(self.config.root_url, self.config.api_key)
        self.monitor = ServerMonitor(self.client, self.log_path, self.process.pid, self.budget)

    def poll(self):
        if self.monitor is None:
            raise RuntimeError("the server is not running")
        self.monitor.router_pid = self.process.pid  # changes after a restart
        return self.monitor.poll()

    def stop(self) -> None:
        self.process.stop()
        if self.client is not None:
            self.client.close()
        self.client = self.monitor = None
