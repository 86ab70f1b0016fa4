"""`workbench serve` and `workbench ls` as a user runs them (subprocesses, real SmolLM2)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from app.server.config import free_port
from tests.app.server.served import llama_server_or_skip
from tests.support.orphans import kill_leftovers, still_running
from tests.support.paths import REPO_ROOT
from tests.support.real_models import smollm2_135m

ROOT = str(REPO_ROOT)


def _cli(*args: str, env: dict, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli.main", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def _library_env(tmp_path) -> dict:
    """A library of SmolLM2 alone. HOME moves so no LM Studio or Ollama models join in; the llama-server
    build is named outright."""
    llama_server_or_skip()
    models = tmp_path / "home" / "models"
    models.mkdir(parents=True)
    shutil.copy(smollm2_135m(), models)
    from app.server.process import find_llama_server

    return dict(os.environ, WORKBENCH_HOME=str(tmp_path / "home"), HF_HUB_CACHE=str(tmp_path / "hf"),
                HOME=str(tmp_path), WORKBENCH_API_KEY="", WORKBENCH_LLAMA_SERVER=str(find_llama_server()))


def test_serve_then_ls_marks_loaded_then_clean_stop(tmp_path):
    env = _library_env(tmp_path)
    port = free_port()
    serve = _cli("serve", "--port", str(port), "--threads", "1", "-c", "1024", "--parallel", "1", env=env)
    try:
        lines = [serve.stdout.readline() for _ in range(2)]
        assert lines[0].startswith(f"Serving 1 model(s) at http://127.0.0.1:{port}/v1")
        key = lines[1].rsplit(" ", 1)[1].strip()  # generated and shown once
        assert key.startswith("wb-")
        headers = {"Authorization": f"Bearer {key}"}
        base = f"http://127.0.0.1:{port}/v1"
        assert [m["id"] for m in httpx.get(base + "/models", headers=headers).json()["data"]] == [
            "smollm2-135m-instruct:Q4_1"]
        body = {"model": "smollm2-135m-instruct:Q4_1", "prompt": "Hi", "max_tokens": 2}
        assert httpx.post(base + "/completions", json=body, headers=headers, timeout=120).status_code == 200
        listing = subprocess.run([sys.executable, "-m", "app.cli.main", "ls", "--json"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=60, check=True).stdout
        (row,) = json.loads(listing)
        assert (row["name"], row["quant"], row["status"]) == ("smollm2-135m-instruct:Q4_1", "Q4_1", "loaded")
        router = psutil.Process(serve.pid).children()[0]
        instances = router.children()
        assert instances  # the model instance the router spawned
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(60) == 0
    time.sleep(0.5)
    assert not router.is_running() and not any(p.is_running() for p in instances)
    row = json.loads(subprocess.run([sys.executable, "-m", "app.cli.main", "ls", "--json"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=60, check=True).stdout)[0]
    assert row["status"] == ""  # no server: nothing marked


def test_a_killed_workbench_takes_llama_server_and_its_model_along(tmp_path):
    """SIGKILL runs no cleanup: llama-server follows through PR_SET_PDEATHSIG (runtimes/child_process.py),
    its model instance through the router's own shutdown. Linux only (see the README)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("on macOS and Windows llama-server outlives a killed Workbench (README, Local API server)")
    port = free_port()
    serve = _cli("serve", "--port", str(port), "--api-key", "k", "--threads", "1", "-c", "1024", "--parallel", "1",
                 env=_library_env(tmp_path))
    family: list[psutil.Process] = []
    try:
        assert serve.stdout.readline().startswith("Serving 1 model(s)")
        body = {"model": "smollm2-135m-instruct:Q4_1", "prompt": "Hi", "max_tokens": 2}
        reply = httpx.post(f"http://127.0.0.1:{port}/v1/completions", json=body,
                           headers={"Authorization": "Bearer k"}, timeout=120)
        assert reply.status_code == 200
        router = psutil.Process(serve.pid).children()[0]
        family = [router, *router.children()]
        assert len(family) == 2  # the router and the model instance it spawned
        serve.kill()
        serve.wait()
        assert still_running(family, 10) == []
    finally:
        serve.kill()
        serve.wait()
        kill_leftovers(family)


def test_serve_refuses_an_unknown_name_listing_valid_ones(tmp_path):
    env = dict(os.environ, WORKBENCH_HOME=str(tmp_path / "home"), HF_HUB_CACHE=str(tmp_path / "hf"),
               HOME=str(tmp_path))
    (tmp_path / "home" / "models").mkdir(parents=True)
    shutil.copy(smollm2_135m(), tmp_path / "home" / "models")
    serve = _cli("serve", "nope", "--port", str(free_port()), env=env)
    out, err = serve.communicate(timeout=60)
    assert serve.returncode == 1
    assert "no model named 'nope'" in err and "smollm2-135m-instruct:Q4_1" in err
