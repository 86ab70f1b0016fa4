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
    for check in ("runtimes", "demo model", "generate 16 tokens", "bundled model", "onnx vad (Silero)",
                  "whisper.cpp transcribe", "espeak-ng speech", "main window (offscreen)"):
        assert f"[ok] {check}" in out
    assert "not available in this build" not in out
    assert "1 segment(s) at 0.99-" in out  # the VAD found the voiced tone where it starts (1.0 s)
    assert "'synthetic demo output'" in out  # the demo whisper model's scripted text
    assert "pages=Chat,Voice," in out and "tts=mock" in out  # Qt's mock TTS engine started


def test_voice_tone_is_speech_and_silence_is_not():
    """The VAD check's audio: Silero hears speech in the voiced tone, none in a pure sine of the
    same length (so the check proves more than "some sound")."""
    import numpy as np

    from app.cli.selftest_voice import SAMPLE_RATE, vad_clip
    from runtimes.events import Speech
    from runtimes.onnx.vad.detector import VadStream

    def speech(samples):
        stream = VadStream()
        return [e for e in stream.feed(samples) + stream.flush() if isinstance(e, Speech)]

    samples, start_s, end_s = vad_clip()
    segments = speech(samples)
    assert segments and all(start_s - 0.1 <= s.start_s and s.end_s <= end_s + 0.3 for s in segments)
    sine = 0.3 * np.sin(2 * np.pi * 440 * np.arange(len(samples)) / SAMPLE_RATE).astype(np.float32)
    assert speech(sine) == []


def test_selftest_fails_on_a_broken_bundle(tmp_path):
    broken = tmp_path / "bundle"
    broken.mkdir()
    (broken / "preset.json").write_text('{"model": "gone.gguf"}')
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path), "WORKBENCH_BUNDLE_DIR": str(broken)}
    result = subprocess.run([sys.executable, "-m", "app.cli.main", "selftest", "--skip-window"],
                            capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 1
    assert "[FAIL] bundled model" in result.stdout and "1 check(s) FAILED" in result.stdout
