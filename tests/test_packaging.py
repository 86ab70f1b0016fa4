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


def test_bundle_contents(built):
    internal = built["bundle"] / "_internal"
    assert list(internal.glob("llama_cpp/lib/libllama.so*")), "llama.cpp's shared library is missing"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").is_file()
    assert (plugins / "platforms" / "libqoffscreen.so").is_file()
    assert (plugins / "imageformats" / "libqsvg.so").is_file()
    assert not (plugins / "platforms" / "libqwayland.so").exists(), "unused Qt plugins were not trimmed"
    libs = {p.name for p in internal.rglob("libQt6*.so*")}
    assert any(name.startswith("libQt6Charts") for name in libs)
    assert not any(name.startswith(("libQt6WebEngine", "libQt6Quick", "libQt63D", "libQt6Qml")) for name in libs)
    stamp = json.loads((internal / "assets" / "_build_flavour.json").read_text())
    assert stamp["flavour"] == "cpu" and stamp["target"] == "linux-deb"
    size = sum(p.stat().st_size for p in built["bundle"].rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle size: {size / 2**20:.0f} MiB")
    assert size < 600 * 2**20


def test_bundle_selftest_without_python(built):
    out = selftest(built["bundle"] / "workbench", built["base"])
    assert "cpu bundle (linux-deb" in out
    assert "[ok] generate 16 tokens" in out and "[ok] main window (offscreen)" in out
    assert "Demo chat (workbench-tiny-Q4_K_M.gguf" in out  # the bundled model and its preset
    assert "onnx-vad: not available in this build" in out
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
