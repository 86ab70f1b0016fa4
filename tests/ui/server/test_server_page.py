"""The Server page against a real llama-server with the real SmolLM2-135M: start, a request seen in the
log and the loaded-models table, the throughput chart fed, snippets with the key, stop. Also an
offscreen screenshot at 1280x720 for review."""

from __future__ import annotations

import dataclasses
import os

import openai
import pytest

from app.server.config import free_port
from app.server.names import model_from_file
from tests.app.server.served import llama_server_or_skip
from tests.support.real_models import smollm2_135m
from ui.server.server_page import ServerPage

WAIT_MS = 120_000


@pytest.fixture
def page(qtbot, ctx):
    widget = ServerPage(ctx)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def test_page_starts_shows_a_request_and_stops(qtbot, page, demo_model):
    llama_server_or_skip()
    model = model_from_file(smollm2_135m())
    page.models_provider = lambda: [model]
    page.port.setValue(free_port())
    page.controller.config = dataclasses.replace(page.controller.config, threads=1, ctx=1024, parallel=2)
    key = page.key.text()
    assert key.startswith("wb-") and key in page.snippets.editors["openai"].toPlainText()

    page.toggle.click()
    qtbot.waitUntil(lambda: page.controller.running and page.timer.isActive(), timeout=WAIT_MS)
    assert page.toggle.text() == "Stop server" and not page.port.isEnabled() and not page.regenerate.isEnabled()
    assert page.names.item(0).text().startswith("smollm2-135m-instruct:Q4_1")
    assert "smollm2-135m-instruct:Q4_1" in page.snippets.editors["curl"].toPlainText()

    client = openai.OpenAI(base_url=page.controller.config.base_url, api_key=key, timeout=280)
    client.chat.completions.create(model=model.name, messages=[{"role": "user", "content": "hi"}], max_tokens=6)
    qtbot.waitUntil(lambda: page.requests.rowCount() >= 1 and page.loaded.rowCount() == 1, timeout=WAIT_MS)
    assert page.requests.item(0, 2).text() == model.name and int(page.requests.item(0, 4).text()) > 0
    assert page.loaded.item(0, 1).text() == "loaded" and page.loaded.item(0, 2).text().endswith("MiB")
    assert page.memory.text().startswith("Memory (RSS) — server and its models")
    assert page.chart.lines["tps"].count() >= 1

    # the Chat page loads another model: the server keeps serving, and the page counts both memories
    from runtimes.llama_cpp.options import LlamaLoadOptions

    page.ctx.models.load("llama.cpp", demo_model, LlamaLoadOptions(n_ctx=256, n_threads=1))
    reply = client.completions.create(model=model.name, prompt="Hello", max_tokens=3)
    assert reply.choices[0].text
    qtbot.waitUntil(lambda: "Chat page model" in page.memory.text(), timeout=WAIT_MS)
    page.ctx.models.unload()

    page.resize(1280, 720)
    if os.environ.get("WORKBENCH_SCREENSHOT_DIR"):
        page.grab().save(os.path.join(os.environ["WORKBENCH_SCREENSHOT_DIR"], "server_page.png"))

    page.toggle.click()
    qtbot.waitUntil(lambda: not page.controller.running and page.toggle.text() == "Start server", timeout=WAIT_MS)
    assert page.regenerate.isEnabled()
    page.regenerate.click()
    assert page.key.text() != key and page.key.text() in page.snippets.editors["curl"].toPlainText()


def test_start_failure_is_shown(qtbot, page):
    page.models_provider = lambda: []  # an empty library
    page.toggle.click()
    qtbot.waitUntil(lambda: not page.crash.isHidden(), timeout=WAIT_MS)
    assert "nothing to serve" in page.crash.text() and page.toggle.isEnabled() and not page.controller.running
