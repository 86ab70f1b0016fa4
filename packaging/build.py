"""Build Workbench installers: one entry point for every target.

    python packaging/build.py --target linux-deb [--flavour cpu|cuda|metal|vulkan]
        [--bundle-model MODEL.gguf --preset preset.json]

Freezes the app with PyInstaller (packaging/workbench.spec, one folder) into
dist/<flavour>/workbench, then wraps it for the target. The cpu flavour freezes
from the running interpreter; GPU flavours (or --build-venv) first build a venv
under build/ and rebuild llama-cpp-python there with the flavour's CMAKE_ARGS.
The flavour is stamped into the bundle (assets/_build_flavour.json), which
`workbench runtimes` and the Runtimes page show.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import other_targets  # packaging/ is sys.path[0] when run as a script
from linux_targets import build_appimage, build_deb, build_tar

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("linux-dir", "linux-tar", "linux-deb", "appimage", "macos-app", "macos-dmg", "windows-installer")
# CMAKE_ARGS for llama-cpp-python per flavour (README "GPU builds" uses the same switches).
FLAVOURS = {"cpu": "", "cuda": "-DGGML_CUDA=on", "metal": "-DGGML_METAL=on", "vulkan": "-DGGML_VULKAN=on"}
# The Silero VAD model's package, installed without its torch dependency (as scripts/setup.sh does).
SILERO_VAD = "silero-vad>=6,<7"


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def llama_cpp_requirement() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(d for d in deps if d.startswith("llama-cpp-python"))


def build_python(flavour: str, fresh_venv: bool) -> str:
    """The interpreter to freeze from, with llama-cpp-python built for ``flavour``."""
    if flavour == "cpu" and not fresh_venv:
        return sys.executable
    venv = ROOT / "build" / f"venv-{flavour}"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    run([str(python), "-m", "pip", "install", "--quiet", f"{ROOT}[packaging]"])
    run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", SILERO_VAD])
    if FLAVOURS[flavour]:
        env = dict(os.environ, CMAKE_ARGS=FLAVOURS[flavour], FORCE_CMAKE="1")
        run([str(python), "-m", "pip", "install", "--force-reinstall", "--no-cache-dir", "--no-deps",
             llama_cpp_requirement()], env=env)
    return str(python)


def stage_assets(stage: Path, flavour: str, target: str, model: Path | None, preset: Path | None) -> None:
    """Files generated for this build only, added to the bundle's assets/."""
    shutil.rmtree(stage, ignore_errors=True)
    assets = stage / "assets"
    assets.mkdir(parents=True)
    stamp = {"flavour": flavour, "target": target, "version": project_version(),
             "built_at": time.strftime("%Y-%m-%d"), "cmake_args": FLAVOURS[flavour]}
    (assets / "_build_flavour.json").write_text(json.dumps(stamp, indent=2))
    if model:
        bundled = assets / "bundled"
        bundled.mkdir()
        shutil.copy2(model, bundled / model.name)
        data = json.loads(preset.read_text()) if preset else {}
        data["model"] = model.name  # the preset always names the copied file
        (bundled / "preset.json").write_text(json.dumps(data, indent=2))


def freeze(python: str, flavour: str, stage: Path, out: Path) -> Path:
    dist, work = out / flavour, ROOT / "build" / f"pyinstaller-{flavour}"  # work dir: a cache for rebuilds
    env = dict(os.environ, WORKBENCH_STAGE=str(stage))
    run([python, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath", str(dist),
         "--workpath", str(work), str(ROOT / "packaging" / "workbench.spec")], env=env)
    return dist / "workbench"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=TARGETS, required=True)
    parser.add_argument("--flavour", choices=sorted(FLAVOURS), default=None,
                        help="llama.cpp build (default: metal for macOS targets, else cpu)")
    parser.add_argument("--bundle-model", type=Path, help="a GGUF the installer carries and opens at start")
    parser.add_argument("--preset", type=Path,
                        help="JSON preset for --bundle-model (system_prompt, sampling, chat_template)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the bundle and installers go")
    parser.add_argument("--build-venv", action="store_true", help="freeze from a fresh venv even for cpu")
    args = parser.parse_args(argv)
    flavour = args.flavour or ("metal" if args.target.startswith("macos") else "cpu")
    if args.preset and not args.bundle_model:
        parser.error("--preset needs --bundle-model")
    if args.bundle_model and not args.bundle_model.is_file():
        parser.error(f"{args.bundle_model} is not a file")

    started = time.perf_counter()
    stage = ROOT / "build" / f"stage-{flavour}"
    stage_assets(stage, flavour, args.target, args.bundle_model, args.preset)
    out = args.out.resolve()
    bundle = freeze(build_python(flavour, args.build_venv), flavour, stage, out)
    print(f"bundle: {bundle} ({folder_size(bundle) / 2**20:.0f} MiB, frozen in {time.perf_counter() - started:.0f} s)")
    version = project_version()
    artifact = {
        "linux-dir": lambda: bundle,
        "linux-tar": lambda: build_tar(bundle, out, version, flavour),
        "linux-deb": lambda: build_deb(bundle, out, version, flavour, ROOT / "assets" / "icons" / "app.svg"),
        "appimage": lambda: build_appimage(bundle, out, version, flavour, ROOT / "assets" / "icons" / "app.svg"),
        "macos-app": lambda: other_targets.macos_app(bundle),
        "macos-dmg": lambda: other_targets.macos_dmg(bundle, out, version),
        "windows-installer": lambda: other_targets.windows_installer(bundle, out, version, flavour),
    }[args.target]()
    size = folder_size(artifact) if artifact.is_dir() else artifact.stat().st_size
    print(f"built {args.target}: {artifact} ({size / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
