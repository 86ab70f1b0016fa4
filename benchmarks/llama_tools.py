"""Find llama.cpp's reference tools (llama-bench, llama-perplexity, llama-quantize, ...).

They come from the one build of the pinned sdist's vendor/llama.cpp that
scripts/setup.sh makes (runtimes/llama_cpp/native_build.py), the same build whose
shared libraries the Python binding loads: Workbench and the tools run the same code.

    python benchmarks/llama_tools.py      # build (or reuse) and print the tool paths
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from runtimes.llama_cpp import native_build  # noqa: E402
from runtimes.llama_cpp.native_build import LLAMA_CPP_PYTHON_VERSION, TOOLS  # noqa: E402,F401


def tool_path(name: str, sdist_dir: Path | None = None, jobs: int | None = None, **_ignored) -> Path:
    """Path of a built tool binary (builds llama.cpp first if this machine has no build yet)."""
    name = native_build.TOOL_ALIASES.get(name, name)
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r}; built tools: {', '.join(TOOLS)}")
    return native_build.ensure_built("cpu", sdist_dir=sdist_dir, jobs=jobs) / "bin" / name


example_tool_path = tool_path  # llama-speculative-simple is part of the same build


def build_info() -> dict:
    """What the build recorded (seconds, cmake options, version), or {}."""
    stamp = native_build.build_dir("cpu") / "build.json"
    return json.loads(stamp.read_text()) if stamp.is_file() else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist-dir", type=Path, help="an already unpacked llama-cpp-python sdist to build from")
    parser.add_argument("-j", "--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    for name in TOOLS:
        print(f"{name}\t{tool_path(name, args.sdist_dir, args.jobs)}")
    info = build_info()
    if info:
        print(f"build time\t{info['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
