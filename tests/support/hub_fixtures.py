"""Fixtures shared by the hub/download tests: a FakeHub serving real demo GGUFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.hub.client import HubClient
from tests.support.fake_hub import DEMO_REPO as REPO
from tests.support.fake_hub import FakeHub, FakeRepo


@pytest.fixture
def hub(demo_ladder: dict[str, Path]):
    server = FakeHub()
    files = {f"workbench-tiny-{q}.gguf": demo_ladder[q].read_bytes() for q in ("Q8_0", "Q4_K_M", "Q2_K")}
    files["mmproj-workbench-tiny-F16.gguf"] = b"GGUF-projector-placeholder"
    files["README.md"] = b"# demo\n"
    server.add(FakeRepo(REPO, files, downloads=500, likes=3, last_modified="2024-05-01T00:00:00.000Z"))
    server.add(FakeRepo("other-org/popular-GGUF", {"a-Q4_K_M.gguf": b"x" * 10}, downloads=9000, likes=1,
                        last_modified="2023-01-01T00:00:00.000Z"))
    server.add(FakeRepo("other-org/liked-GGUF", {"b-Q8_0.gguf": b"y" * 10}, downloads=10, likes=999,
                        last_modified="2025-01-01T00:00:00.000Z"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(hub: FakeHub) -> HubClient:
    return HubClient(endpoint=hub.url, token=None)
