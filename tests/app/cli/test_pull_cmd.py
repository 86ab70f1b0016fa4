"""`workbench pull` runs on the Library's DownloadManager: Ctrl-C pauses (the
.part bytes stay and the journal lists the job, as the Library shows it after
a restart), the next pull resumes and the journal forgets the finished job;
a failure is reported with its one-line message."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.paths import download_journal_path
from tests.support.fake_hub import DEMO_REPO as REPO
from tests.support.fake_hub import FakeRepo
from tests.support.paths import REPO_ROOT

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixture

NAME = "workbench-tiny-Q8_0.gguf"


def _pull(hub, cache: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": str(cache), "HF_TOKEN": "",
           "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    return subprocess.Popen([sys.executable, "-m", "app.cli.main", "pull", *args], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _journal_files() -> list[list[str]]:
    jobs = json.loads(download_journal_path().read_text())["jobs"]  # WORKBENCH_HOME: the test's own
    return [[f["path"] for f in job["files"]] for job in jobs]


def test_ctrl_c_pauses_into_the_journal_and_the_next_pull_resumes(hub, tmp_path, demo_ladder):
    cache = tmp_path / "hf-cache"
    size = demo_ladder["Q8_0"].stat().st_size
    hub.chunk_delay_s = 0.05
    first = _pull(hub, cache, REPO, NAME)
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size > 0 for p in cache.rglob("*.part")):
        assert time.monotonic() < deadline and first.poll() is None, "the download never started"
        time.sleep(0.02)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "interrupted" in err
    [part] = cache.rglob("*.part")
    kept = part.stat().st_size
    assert 0 < kept < size
    assert _journal_files() == [[NAME]]

    hub.chunk_delay_s = 0.0
    second = _pull(hub, cache, REPO, NAME)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    path = Path(out.strip().splitlines()[-1])
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(demo_ladder["Q8_0"].read_bytes()).digest()
    assert kept in [start for f, start, _ in hub.served if f == NAME]
    assert _journal_files() == []


def test_a_failed_pull_prints_the_error_and_exits_1(hub, tmp_path):
    hub.add(FakeRepo("bad-org/bad-GGUF", {"bad-Q4_K_M.gguf": b"GGUF" + b"\0" * 5000},
                     advertised_sha={"bad-Q4_K_M.gguf": "0" * 64}))
    done = _pull(hub, tmp_path / "hf-cache", "bad-org/bad-GGUF", "bad-Q4_K_M.gguf")
    out, err = done.communicate(timeout=120)
    assert done.returncode == 1 and out == ""
    assert "workbench: error: bad-Q4_K_M.gguf: SHA-256 mismatch" in err
