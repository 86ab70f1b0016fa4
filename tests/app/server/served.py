"""A real `workbench serve` session for tests: llama-server on 127.0.0.1 on a port the test picks."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from app.server.config import ServeConfig, free_port
from app.server.names import model_from_file
from app.server.session import ServeSession


def llama_server_or_skip() -> None:
    from app.server.process import find_llama_server

    try:
        find_llama_server()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@contextmanager
def serving(workdir: Path, files: list[Path], key: str = "test-key", **options):
    llama_server_or_skip()
    budget = options.pop("budget_bytes", None)
    config = ServeConfig(key, port=free_port(), **options)
    session = ServeSession(config, [model_from_file(f) for f in files], workdir, budget_bytes=budget)
    session.start()
    try:
        yield session
    finally:
        session.stop()
