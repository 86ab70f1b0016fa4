"""Find or build llama.cpp's reference tools (llama-bench, llama-perplexity, llama-quantize).

They are built from the llama.cpp copy that ships inside the pinned llama-cpp-python
sdist (``vendor/llama.cpp``), so the tools run the same code as Workbench's runtime.
Nothing here is committed: the sdist is fetched with pip at run time and unpacked and
built under a git-ignored cache folder (``<repo>/.cache/llama-tools`` by default).

    python benchmarks/llama_tools.py                 # build (or reuse) and print the tool paths
    python benchmarks/llama_tools.py --sdist-dir /tmp/sdist/llama_cpp_python-0.3.36
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

# Keep in step with the llama-cpp-python pin in pyproject.toml.
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
TOOLS = ("llama-bench", "llama-perplexity", "llama-quantize")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = REPO_ROOT / ".cache" / "llama-tools"

# Default GGML flags (GGML_NATIVE and GGML_OPENMP stay at their defaults, as in the
# pip-built wheel); only the extra artifacts are switched off. LLAMA_CURL is deprecated
# and ignored by this llama.cpp, so it is not passed.
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_BUILD_COMMON=ON",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_OPENSSL=OFF",
)


def tool_path(name: str, cache: Path = DEFAULT_CACHE, sdist_dir: Path | None = None, jobs: int = 2) -> Path:
    """Path of a built tool binary, building all of TOOLS first if any is missing."""
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r}; built tools: {', '.join(TOOLS)}")
    return ensure_tools(cache, sdist_dir, jobs)[name]


def ensure_tools(cache: Path = DEFAULT_CACHE, sdist_dir: Path | None = None, jobs: int = 2) -> dict[str, Path]:
    cache = Path(cache).resolve()
    build = cache / f"build-{LLAMA_CPP_PYTHON_VERSION}"
    paths = {name: build / "bin" / name for name in TOOLS}
    if all(p.is_file() for p in paths.values()):
        return paths
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:  # one build at a time per cache
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all(p.is_file() for p in paths.values()):
            source = _llama_cpp_source(cache, sdist_dir)
            _build(source, build, jobs)
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise RuntimeError(f"build finished but tools are missing: {', '.join(missing)}")
    return paths


def example_tool_path(name: str, cache: Path = DEFAULT_CACHE, sdist_dir: Path | None = None, jobs: int = 2) -> Path:
    """Path of one of llama.cpp's examples (e.g. llama-speculative-simple), built on demand.

    Examples are off in the tools build, so they get their own build folder
    (``build-examples-<version>``) configured the same way with examples on.
    """
    cache = Path(cache).resolve()
    build = cache / f"build-examples-{LLAMA_CPP_PYTHON_VERSION}"
    path = build / "bin" / name
    if path.is_file():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            source = _llama_cpp_source(cache, sdist_dir)
            options = [o.replace("EXAMPLES=OFF", "EXAMPLES=ON") for o in CMAKE_OPTIONS]
            env = dict(os.environ)
            env.pop("SOURCE_DATE_EPOCH", None)
            generator = ["-G", "Ninja"] if shutil.which("ninja") and not (build / "CMakeCache.txt").is_file() else []
            print(f"llama-tools: building {name} from {source} (-j{jobs})", file=sys.stderr)
            subprocess.run(["cmake", "-S", str(source), "-B", str(build), *generator, *options], check=True, env=env)
            subprocess.run(["cmake", "--build", str(build), "-j", str(jobs), "--target", name], check=True, env=env)
    if not path.is_file():
        raise RuntimeError(f"build finished but {path} is missing")
    return path


def build_info(cache: Path = DEFAULT_CACHE) -> dict:
    """What the last build recorded (source, seconds, cmake options), or {}."""
    stamp = Path(cache).resolve() / f"build-{LLAMA_CPP_PYTHON_VERSION}" / "workbench-build.json"
    return json.loads(stamp.read_text()) if stamp.is_file() else {}


def _llama_cpp_source(cache: Path, sdist_dir: Path | None) -> Path:
    if sdist_dir is not None:
        source = Path(sdist_dir).resolve() / "vendor" / "llama.cpp"
        if not (source / "CMakeLists.txt").is_file():
            raise FileNotFoundError(f"{sdist_dir} has no vendor/llama.cpp/CMakeLists.txt")
        return source
    unpacked = cache / "src" / f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}"
    source = unpacked / "vendor" / "llama.cpp"
    if (source / "CMakeLists.txt").is_file():
        return source
    downloads = cache / "sdist"
    archive = downloads / f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}.tar.gz"
    if not archive.is_file():
        print(f"llama-tools: downloading llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION} sdist", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-binary",
                ":all:",
                "--no-deps",
                f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}",
                "-d",
                str(downloads),
            ],
            check=True,
        )
    if not archive.is_file():
        raise FileNotFoundError(f"pip download did not produce {archive}")
    print(f"llama-tools: unpacking {archive.name}", file=sys.stderr)
    tmp = cache / "src.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    (cache / "src").mkdir(exist_ok=True)
    shutil.rmtree(unpacked, ignore_errors=True)
    (tmp / unpacked.name).rename(unpacked)
    shutil.rmtree(tmp, ignore_errors=True)
    return source


def _build(source: Path, build: Path, jobs: int) -> None:
    cmake_cache = build / "CMakeCache.txt"
    if cmake_cache.is_file() and f"CMAKE_HOME_DIRECTORY:INTERNAL={source}\n" not in cmake_cache.read_text():
        shutil.rmtree(build)  # configured from another copy of the source
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)  # it would switch GGML_NATIVE off
    generator = ["-G", "Ninja"] if shutil.which("ninja") and not cmake_cache.is_file() else []
    started = time.monotonic()
    print(f"llama-tools: building {', '.join(TOOLS)} from {source} (-j{jobs})", file=sys.stderr)
    subprocess.run(["cmake", "-S", str(source), "-B", str(build), *generator, *CMAKE_OPTIONS], check=True, env=env)
    subprocess.run(["cmake", "--build", str(build), "-j", str(jobs), "--target", *TOOLS], check=True, env=env)
    seconds = time.monotonic() - started
    info = {
        "source": str(source),
        "seconds": round(seconds, 1),
        "jobs": jobs,
        "cmake_options": list(CMAKE_OPTIONS),
        "llama_cpp_python": LLAMA_CPP_PYTHON_VERSION,
    }
    (build / "workbench-build.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"llama-tools: built in {seconds:.0f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="cache folder (default: %(default)s)")
    parser.add_argument("--sdist-dir", type=Path, help="an already unpacked llama-cpp-python sdist to build from")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    for name, path in ensure_tools(args.cache, args.sdist_dir, args.jobs).items():
        print(f"{name}\t{path}")
    info = build_info(args.cache)
    if info:
        print(f"build time\t{info['seconds']} s ({info['source']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
