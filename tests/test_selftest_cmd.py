"""`workbench selftest` from the source install (tests/test_packaging.py runs it frozen)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_selftest_passes_from_source(tmp_path):
    result = subprocess.run([sys.executable, "-m", "app.cli.main", "selftest"], capture_output=True, text=True,
                            timeout=240, env={**os.environ, "WORKBENCH_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "source install" in out
    for check in ("runtimes", "demo model", "generate 16 tokens", "bundled model", "main window (offscreen)"):
        assert f"[ok] {check}" in out
    assert "onnx-vad: not available in this build" in out


def test_selftest_fails_on_a_broken_bundle(tmp_path):
    broken = tmp_path / "bundle"
    broken.mkdir()
    (broken / "preset.json").write_text('{"model": "gone.gguf"}')
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path), "WORKBENCH_BUNDLE_DIR": str(broken)}
    result = subprocess.run([sys.executable, "-m", "app.cli.main", "selftest", "--skip-window"],
                            capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 1
    assert "[FAIL] bundled model" in result.stdout and "1 check(s) FAILED" in result.stdout
