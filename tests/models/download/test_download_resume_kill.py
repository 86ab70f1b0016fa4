"""`workbench pull` killed mid-download, then run again: it resumes from the
.part file and no byte is fetched twice beyond one chunk (what the byte loop
holds before writing: at most download_http.READ_SIZE)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from models.download.http import READ_SIZE
from tests.support.fake_hub import DEMO_REPO as REPO
from tests.support.paths import REPO_ROOT

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixture

NAME = "workbench-tiny-Q8_0.gguf"
ROOT = REPO_ROOT


def _pull(hub, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": str(cache), "HF_TOKEN": "",
           "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    return subprocess.Popen([sys.executable, "-m", "app.cli.main", "pull", REPO, NAME], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_pull_resumes_without_refetching(hub, tmp_path, demo_ladder):
    size = demo_ladder["Q8_0"].stat().st_size
    hub.chunk_delay_s = 0.02  # ~3 MiB/s: slow enough to kill mid-way
    first = _pull(hub, tmp_path)
    parts: list[Path] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        parts = list(tmp_path.rglob("*.part"))
        if parts and parts[0].stat().st_size > size // 2:  # more than one chunk, so a restart from 0 shows
            break
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert parts, "the download never started"
    kept = parts[0].stat().st_size
    assert READ_SIZE < kept < size

    hub.chunk_delay_s = 0
    second = _pull(hub, tmp_path)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    path = Path(out.strip().splitlines()[-1])
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(demo_ladder["Q8_0"].read_bytes()).digest()
    starts = [s for f, s, _ in hub.served if f == NAME]
    assert kept in starts  # the second run asked for bytes=kept-
    # Everything served beyond the file's size is what the kill lost in flight: at most one chunk.
    assert hub.bytes_served(NAME) - size <= READ_SIZE
