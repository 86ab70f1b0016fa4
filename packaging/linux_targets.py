"""Linux wrappers around the one-folder bundle: .tar.gz, .deb (dpkg-deb) and AppImage."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

# Shared libraries Qt's xcb platform plugin needs from the system (as scripts/setup.sh).
DEB_DEPENDS = (
    "libegl1, libgl1, libglib2.0-0, libfontconfig1, libfreetype6, libdbus-1-3, libxkbcommon0, "
    "libx11-6, libx11-xcb1, libxcb1, libxkbcommon-x11-0, libxcb-cursor0, libxcb-glx0, libxcb-icccm4, "
    "libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render0, libxcb-render-util0, libxcb-shape0, "
    "libxcb-shm0, libxcb-sync1, libxcb-util1, libxcb-xfixes0, libxcb-xkb1, fonts-dejavu-core"
)
DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=Workbench
Comment=Run, compare and package local models
Exec={exec} %F
Icon=workbench
Terminal=false
Categories=Development;Science;
MimeType=application/octet-stream;
"""


def deb_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def build_tar(bundle: Path, out: Path, version: str, flavour: str) -> Path:
    path = out / f"workbench-{version}-linux-{flavour}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(bundle, arcname=f"workbench-{version}")
    return path


def build_deb(bundle: Path, out: Path, version: str, flavour: str, icon: Path) -> Path:
    """Installs to /opt/workbench, with /usr/bin/workbench, a desktop entry and the icon."""
    root = out / f"deb-{flavour}"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(bundle, root / "opt" / "workbench", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    os.symlink("/opt/workbench/workbench", root / "usr" / "bin" / "workbench")
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / "workbench.desktop").write_text(DESKTOP_ENTRY.format(exec="/usr/bin/workbench"))
    icons = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy2(icon, icons / "workbench.svg")
    size_kib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) // 1024
    package = "workbench" if flavour == "cpu" else f"workbench-{flavour}"
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: {version}\nArchitecture: {deb_arch()}\n"
        f"Maintainer: Workbench developers <workbench@localhost>\nInstalled-Size: {size_kib}\n"
        f"Depends: {DEB_DEPENDS}\nConflicts: workbench, workbench-cuda, workbench-vulkan\nProvides: workbench\n"
        f"Section: science\nPriority: optional\n"
        f"Description: Workbench ({flavour} build): on-device LLM inference desktop app\n"
        " Run, compare and package local GGUF models with llama.cpp.\n"
    )
    path = out / f"{package}_{version}_{deb_arch()}.deb"
    # -Zgzip: fast on 2 cores; xz would save ~30 % for minutes of CPU.
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(path)], check=True)
    shutil.rmtree(root)
    return path


def build_appimage(bundle: Path, out: Path, version: str, flavour: str, icon: Path) -> Path:
    """Needs appimagetool on PATH: neither Debian nor PyPI ships it, so it is not built here."""
    tool = shutil.which("appimagetool")
    if tool is None:
        raise SystemExit("appimagetool is not on PATH (it is not packaged in Debian or on PyPI; get it from "
                         "https://github.com/AppImage/appimagetool/releases) - AppImage not built")
    appdir = out / f"Workbench-{flavour}.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(bundle, appdir / "usr" / "lib" / "workbench", symlinks=True)
    app_run = '#!/bin/sh\nexec "$(dirname "$(readlink -f "$0")")/usr/lib/workbench/workbench" "$@"\n'
    (appdir / "AppRun").write_text(app_run)
    (appdir / "AppRun").chmod(0o755)
    (appdir / "workbench.desktop").write_text(DESKTOP_ENTRY.format(exec="workbench"))
    shutil.copy2(icon, appdir / "workbench.svg")
    path = out / f"Workbench-{version}-{flavour}-x86_64.AppImage"
    subprocess.run([tool, str(appdir), str(path)], check=True, env=dict(os.environ, ARCH="x86_64"))
    return path
