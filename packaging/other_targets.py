"""macOS (.app, .dmg) and Windows (Inno Setup) wrappers. Written to run on
those systems; they cannot be exercised on the Linux build machine."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _require(system: str, what: str) -> None:
    if platform.system() != system:
        raise SystemExit(f"{what} must be built on {system} (this is {platform.system()})")


def macos_app(bundle: Path) -> Path:
    """workbench.spec adds a BUNDLE step on macOS, next to the one-folder build."""
    _require("Darwin", "the macOS .app")
    app = bundle.parent / "Workbench.app"
    if not app.is_dir():
        raise SystemExit(f"{app} was not produced; check the BUNDLE step in packaging/workbench.spec")
    return app


def macos_dmg(bundle: Path, out: Path, version: str) -> Path:
    app = macos_app(bundle)
    dmg = out / f"Workbench-{version}-macos-metal.dmg"
    dmg.unlink(missing_ok=True)
    subprocess.run(["hdiutil", "create", "-volname", "Workbench", "-srcfolder", str(app), "-ov",
                    "-format", "UDZO", str(dmg)], check=True)
    return dmg


def windows_installer(bundle: Path, out: Path, version: str, flavour: str) -> Path:
    _require("Windows", "the Windows installer")
    iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    subprocess.run([iscc, f"/DAppVersion={version}", f"/DFlavour={flavour}", f"/DBundleDir={bundle}",
                    f"/O{out}", str(HERE / "windows" / "workbench.iss")], check=True)
    return out / f"Workbench-{version}-windows-{flavour}-setup.exe"
