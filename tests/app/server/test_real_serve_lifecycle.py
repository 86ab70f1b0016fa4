"""Load on request, idle unload, the memory budget, embeddings, crash restart and a port in use, with
the real SmolLM2-135M and Gemma 3 270M behind a real llama-server router. Loads real models: slow tier."""

from __future__ import annotations

import os
import signal
import socket
import time

import openai
import pytest

from app.server.budget import model_ram_estimate
from app.server.config import ServeConfig, free_port
from app.server.names import model_from_file
from app.server.process import ServerProcess
from tests.app.server.served import llama_server_or_skip, serving
from tests.support.real_models import gemma3_270m, smollm2_135m

KEY = "lifecycle-key"
SMOL, GEMMA = "smollm2-135m-instruct:Q4_1", "gemma-3-270m:Q4_K_M"


def _client(session) -> openai.OpenAI:
    return openai.OpenAI(base_url=session.config.base_url, api_key=KEY, max_retries=2, timeout=280)


def _wait_for(session, predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        snapshot = session.poll()
        if predicate(snapshot):
            return snapshot
        time.sleep(0.5)
    raise AssertionError(f"condition not met within {seconds} s; last statuses {snapshot.statuses}")


def test_two_names_load_on_request_then_idle_unload(tmp_path):
    with serving(tmp_path, [smollm2_135m(), gemma3_270m()], KEY, parallel=1, ctx=1024, threads=1,
                 idle_unload_s=3) as session:
        client = _client(session)
        assert session.poll().statuses == {GEMMA: "unloaded", SMOL: "unloaded"}
        for name in (SMOL, GEMMA):
            reply = client.completions.create(model=name, prompt="Hello", max_tokens=4, temperature=0)
            assert reply.model == name and reply.choices[0].text
        both = session.poll()
        assert both.statuses[SMOL] in ("loaded", "sleeping") and both.statuses[GEMMA] == "loaded"
        slept = _wait_for(session, lambda s: s.statuses[GEMMA] == "sleeping", 30)
        gemma = next(m for m in slept.loaded if m.name == GEMMA)
        assert gemma.rss_bytes < 150 * 2**20  # the weights left with the sleep (Gemma's alone are 241 MiB)


def test_memory_budget_unloads_the_older_model(tmp_path):
    smol, gemma = smollm2_135m(), gemma3_270m()
    # room for either model but not both: loading the second must unload the first
    budget = max(model_ram_estimate(smol, 1024), model_ram_estimate(gemma, 1024)) + 2**20
    with serving(tmp_path, [smol, gemma], KEY, parallel=1, ctx=1024, threads=1, idle_unload_s=0,
                 budget_bytes=budget) as session:
        client = _client(session)
        client.completions.create(model=SMOL, prompt="Hi", max_tokens=2)
        assert session.poll().unloaded_for_memory == []
        client.completions.create(model=GEMMA, prompt="Hi", max_tokens=2)
        assert session.poll().unloaded_for_memory == [SMOL]
        _wait_for(session, lambda s: s.statuses[SMOL] == "unloaded" and s.statuses[GEMMA] == "loaded", 30)


def test_embeddings_when_enabled(tmp_path):
    with serving(tmp_path, [smollm2_135m()], KEY, parallel=1, ctx=1024, threads=1, embeddings=True) as session:
        result = _client(session).embeddings.create(model=SMOL, input=["hello world", "goodbye"])
        first, second = (d.embedding for d in result.data)
        assert len(first) == 576 and first != second  # SmolLM2-135M's width; two texts, two vectors


def test_crash_is_reported_and_the_server_restarts(tmp_path):
    events = []
    with serving(tmp_path, [smollm2_135m()], KEY, threads=1) as session:
        session.process.on_event = events.append
        old_pid = session.process.pid
        os.kill(old_pid, signal.SIGKILL)
        _wait_until(lambda: any(e.kind == "started" for e in events), 30)
        crashed = next(e for e in events if e.kind == "crashed")
        assert "exited with code -9" in crashed.message and "last log lines" in crashed.message
        assert session.process.pid not in (None, old_pid) and session.process.restarts == 1
        assert [m.id for m in _client(session).models.list().data] == [SMOL]


def test_port_in_use_is_a_clear_error(tmp_path):
    llama_server_or_skip()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = ServeConfig(KEY, port=port)
        process = ServerProcess(config, tmp_path / "models.ini", tmp_path)
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is already in use"):
            process.start()
    assert process.pid is None


def test_missing_llama_server_names_the_feature(monkeypatch, tmp_path):
    import runtimes.llama_cpp.native_build as native_build

    monkeypatch.delenv("WORKBENCH_LLAMA_SERVER", raising=False)
    monkeypatch.setattr(native_build, "find_tool", lambda name, *a, **k: None)
    with pytest.raises(FileNotFoundError, match="local API server needs llama.cpp's llama-server"):
        ServerProcess(ServeConfig(KEY, port=free_port()), tmp_path / "m.ini", tmp_path)


def _wait_until(predicate, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.2)


def test_model_from_file_names_it_like_the_library():
    assert model_from_file(gemma3_270m()).name == GEMMA
