"""Builds the Linux .deb (and with it the one-folder bundle) the way a release
does, then runs `workbench selftest` from the bundle and from the .deb
installed into a temporary root: from paths with spaces and with no Python on
PATH, so the frozen app can only work from what it carries.

Freezing takes minutes on 2 cores, so this runs once per module; it is marked
``packaging`` (deselect locally with -m "not packaging"; CI runs it).
PyInstaller comes from the [packaging] extra that scripts/setup.sh test installs:
a missing PyInstaller fails here rather than skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, demo_model: Path) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("packaging")
    out = base / "dist with space"
    preset = base / "preset.json"
    preset.write_text(json.dumps({"name": "Demo chat", "system_prompt": "Be brief.", "sampling": {"max_tokens": 64}}))
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--target", "linux-deb", "--out", str(out),
         "--bundle-model", str(demo_model), "--preset", str(preset)],
        capture_output=True, text=True, timeout=1700,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"build.py --target linux-deb: {time.perf_counter() - started:.0f} s")
    (deb,) = out.glob("workbench_*.deb")
    return {"bundle": out / "cpu" / "workbench", "deb": deb, "base": base}


def no_python_env(base: Path) -> dict[str, str]:
    """PATH is an empty folder: no python3, no venv; only what the bundle carries."""
    empty_bin = base / "empty bin"
    empty_bin.mkdir(exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "QT_"))}
    return dict(keep, PATH=str(empty_bin), WORKBENCH_HOME=str(base / "home"))


def selftest(executable: Path, base: Path) -> str:
    result = subprocess.run([str(executable), "selftest"], env=no_python_env(base), cwd=base,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def folder_sizes(bundle: Path) -> dict[str, int]:
    """Bytes per top-level entry of _internal (and the executable, which holds the Python archive)."""
    sizes: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(bundle).parts
            key = rel[1] if rel[0] == "_internal" and len(rel) > 1 else rel[0]
            sizes[key] = sizes.get(key, 0) + path.stat().st_size
    return sizes


def test_bundle_contents(built):
    internal = built["bundle"] / "_internal"
    assert list(internal.glob("llama_cpp/lib/libllama.so*")), "llama.cpp's shared library is missing"
    assert list(internal.glob("onnxruntime/capi/onnxruntime_pybind11_state*.so")), "ONNX Runtime is missing"
    assert (internal / "silero_vad" / "data" / "silero_vad.onnx").stat().st_size > 1_000_000
    assert not (internal / "silero_vad" / "data" / "silero_vad.jit").exists()  # the torch files stay out
    assert list(internal.glob("pywhispercpp.libs/libwhisper-*.so*")), "whisper.cpp's library is missing"
    assert list(internal.glob("_pywhispercpp*.so"))
    assert (internal / "espeakng_loader" / "libespeak-ng.so").is_file()
    assert (internal / "espeakng_loader" / "espeak-ng-data" / "phontab").is_file()
    assert (internal / "piper" / "espeakbridge.so").is_file() and (internal / "piper" / "espeak-ng-data").is_dir()
    assert (internal / "kokoro_onnx" / "config.json").is_file()
    assert list(internal.glob("_soundfile_data/libsndfile*.so")) and list(internal.glob("soxr/soxr_ext*.so"))
    assert list(internal.glob("PIL/_imaging.*.so"))
    assert list(internal.glob("coremltools/libmilstoragepython*.so"))  # inspection/conversion on Linux
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").is_file()
    assert (plugins / "platforms" / "libqoffscreen.so").is_file()
    assert (plugins / "imageformats" / "libqsvg.so").is_file()
    assert (plugins / "texttospeech" / "libqtexttospeech_speechd.so").is_file()  # the OS voice on Linux
    assert not (plugins / "platforms" / "libqwayland.so").exists(), "unused Qt plugins were not trimmed"
    # Microphone and speaker are libQt6Multimedia's own (PulseAudio/PipeWire); the FFmpeg media
    # backend, with FFmpeg and Qt Quick that it links, is trimmed.
    assert not (plugins / "multimedia").exists()
    libs = {p.name for p in internal.rglob("libQt6*.so*")}
    for needed in ("libQt6Charts", "libQt6Multimedia", "libQt6TextToSpeech", "libQt6Network"):
        assert any(name.startswith(needed) for name in libs), needed
    assert not any(name.startswith(("libQt6WebEngine", "libQt6Quick", "libQt63D", "libQt6Qml")) for name in libs)
    assert not list(internal.rglob("libavcodec*"))
    stamp = json.loads((internal / "assets" / "_build_flavour.json").read_text())
    assert stamp["flavour"] == "cpu" and stamp["target"] == "linux-deb"
    sizes = folder_sizes(built["bundle"])
    size = sum(sizes.values())
    biggest = sorted(sizes.items(), key=lambda item: -item[1])[:12]
    print(f"bundle size: {size / 2**20:.0f} MiB; biggest: "
          + ", ".join(f"{name} {n / 2**20:.0f}" for name, n in biggest))
    # Measured 423 MiB (cpu, with the tiny bundled model): llama.cpp, whisper.cpp, ONNX Runtime,
    # three TTS engines with their espeak-ng data, coremltools, Qt. The margin is for patch releases.
    assert size < 460 * 2**20


def test_bundle_selftest_without_python(built):
    out = selftest(built["bundle"] / "workbench", built["base"])
    assert "cpu bundle (linux-deb" in out
    assert "[ok] generate 16 tokens" in out and "[ok] main window (offscreen)" in out
    assert "Demo chat (workbench-tiny-Q4_K_M.gguf" in out  # the bundled model and its preset
    assert "[ok] onnx vad (Silero)" in out and "1 segment(s) at 0.99-" in out  # speech where the tone starts
    assert "[ok] whisper.cpp transcribe" in out and "'synthetic demo output' from 1.5 s of 44.1 kHz FLAC" in out
    assert "[ok] espeak-ng speech" in out and "_internal/espeakng_loader/espeak-ng-data" in out
    assert "tts=mock" in out  # the texttospeech plugins load from the bundle
    assert "not available in this build" not in out and "FAIL" not in out
    assert "selftest: PASSED" in out
    runtimes = subprocess.run([str(built["bundle"] / "workbench"), "runtimes"], env=no_python_env(built["base"]),
                              capture_output=True, text=True, timeout=120, check=True).stdout
    assert runtimes.startswith("build: cpu bundle (linux-deb")


def test_installed_deb_selftest(built):
    root = built["base"] / "install root"
    subprocess.run(["dpkg", "-x", str(built["deb"]), str(root)], check=True)
    control = subprocess.run(["dpkg-deb", "-f", str(built["deb"]), "Package", "Depends"],
                             capture_output=True, text=True, check=True).stdout
    assert "Package: workbench" in control and "libxcb-cursor0" in control
    assert os.readlink(root / "usr" / "bin" / "workbench") == "/opt/workbench/workbench"
    desktop = (root / "usr" / "share" / "applications" / "workbench.desktop").read_text()
    assert "Exec=/usr/bin/workbench" in desktop and "Icon=workbench" in desktop
    assert (root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps" / "workbench.svg").is_file()
    out = selftest(root / "opt" / "workbench" / "workbench", built["base"])
    assert "selftest: PASSED" in out and "cpu bundle" in out


@pytest.mark.parametrize("tts", ["piper", "kokoro"])
def test_bundle_voice_turn_with_each_onnx_voice(built, demo_model, tts, tmp_path):
    """A spoken turn through the frozen `workbench voice`: Silero VAD, whisper.cpp, the LLM and a
    Piper or Kokoro voice (synthetic ONNX graphs with their signatures): the TTS engines' own data
    (Piper's espeak-ng, phonemizer with espeakng_loader's library for Kokoro) work from the bundle."""
    from models.demo.whisper import write_whisper_model
    from tests.support.tts_synthetic_voices import build_kokoro, build_piper
    from tests.support.voice_helpers import read_wav, spoken_wav

    voice_model = (build_piper if tts == "piper" else build_kokoro)(tmp_path / f"{tts} voice")
    whisper = write_whisper_model(tmp_path / "whisper-demo.bin")
    question, _, _ = spoken_wav(tmp_path / "question.wav", "Hello there. Could you tell me a short story?")
    reply = tmp_path / "reply.wav"
    result = subprocess.run(
        [str(built["bundle"] / "workbench"), "voice", "--stt", str(whisper), "--llm", str(demo_model),
         "--tts", tts, "--tts-model", str(voice_model), "--in", str(question), "--out", str(reply),
         "--max-tokens", "24", "--seed", "1", "--json"],
        env=no_python_env(built["base"]), cwd=built["base"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (turn,) = json.loads(result.stdout)["turns"]
    assert turn["heard"].strip() and turn["reply"].strip()
    audio, _ = read_wav(reply)
    assert len(audio) > 0 and abs(audio).max() > 0.05
