"""Build llama.cpp once per version, backend and CPU, and cache it.

One CMake build of ``vendor/llama.cpp`` from the pinned llama-cpp-python sdist
gives both the shared libraries the Python binding loads and llama.cpp's own
tools (llama-server, rpc-server, llama-imatrix, llama-perplexity, llama-bench,
llama-quantize, ...). The binding is installed without its own compile and
gets these libraries, so the app and the reference tools run the same code.

Stdlib only: ``scripts/setup.sh`` runs it with the system Python before the
virtual environment exists (``python3 -m runtimes.llama_cpp.native_build``).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from runtimes.errors import BuildError

# Keep in step with the llama-cpp-python pin in pyproject.toml.
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
BACKENDS = ("cpu", "cuda", "vulkan", "metal")
TOOLS = (
    "llama-server",
    "ggml-rpc-server",
    "llama-imatrix",
    "llama-perplexity",
    "llama-bench",
    "llama-quantize",
    "llama-tokenize",
    "llama-cli",
    "llama-speculative-simple",
)
LIBRARY_TARGETS = ("llama", "mtmd")
# Names people use for a tool whose CMake target is called otherwise.
TOOL_ALIASES = {"rpc-server": "ggml-rpc-server"}
BASE_CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=ON",
    "-DGGML_RPC=ON",  # llama.cpp's RPC backend: rpc-server and --rpc
    "-DLLAMA_BUILD_COMMON=ON",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_EXAMPLES=ON",  # only llama-speculative-simple is built (by target)
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_OPENSSL=OFF",
    # Libraries and tools share one folder (llama.cpp puts both in bin/), so $ORIGIN finds them.
    "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON",
    "-DCMAKE_INSTALL_RPATH=$ORIGIN",
)
BACKEND_CMAKE_OPTIONS = {
    "cpu": (),
    "cuda": ("-DGGML_CUDA=ON",),
    "vulkan": ("-DGGML_VULKAN=ON",),
    "metal": ("-DGGML_METAL=ON", "-DGGML_METAL_EMBED_LIBRARY=ON"),
}
# ggml's AMX kernels crash on some K-quant models (llama.cpp #20824, unfixed upstream); the
# native build would enable them on Sapphire Rapids. Explicit -mno-* wins over -march=native.
NO_AMX_FLAGS = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
# Extra CMake arguments for one machine's toolchain, e.g. newer Vulkan headers than the distribution's:
#   WORKBENCH_CMAKE_ARGS="-DVulkan_INCLUDE_DIR=/opt/vulkan-headers/include"
# They are part of the build key, so a build made with them lives in its own folder.
EXTRA_CMAKE_ARGS_ENV = "WORKBENCH_CMAKE_ARGS"


def default_cache() -> Path:
    root = os.environ.get("WORKBENCH_LLAMA_CACHE")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench" / "llama.cpp"


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return " ".join(sorted(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return platform.processor()


def _x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64", "i686")


def cmake_options(backend: str) -> list[str]:
    if backend not in BACKENDS:
        raise BuildError(f"unknown backend {backend!r}; one of: {', '.join(BACKENDS)}")
    options = [*BASE_CMAKE_OPTIONS, *BACKEND_CMAKE_OPTIONS[backend]]
    if _x86() and sys.platform.startswith("linux"):
        options += [f"-DCMAKE_C_FLAGS={NO_AMX_FLAGS}", f"-DCMAKE_CXX_FLAGS={NO_AMX_FLAGS}"]
    return options + shlex.split(os.environ.get(EXTRA_CMAKE_ARGS_ENV, ""))


def build_key(backend: str) -> str:
    """Version, backend and a hash of what makes a native build differ (flags, CPU, compiler)."""
    digest = hashlib.sha256()
    for part in (*cmake_options(backend), _cpu_flags(), platform.machine(), sys.platform, _compiler_version()):
        digest.update(part.encode() + b"\0")
    return f"{LLAMA_CPP_PYTHON_VERSION}-{backend}-{digest.hexdigest()[:10]}"


def _compiler_version() -> str:
    for compiler in ("c++", "g++", "clang++"):
        path = shutil.which(compiler)
        if path:
            try:
                out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
                return out.splitlines()[0] if out else compiler
            except (OSError, subprocess.SubprocessError):
                continue
    return "none"


def build_dir(backend: str = "cpu", cache: Path | None = None) -> Path:
    """Where the finished build lives: bin/ with the tools and the shared libraries."""
    return (cache or default_cache()) / build_key(backend)


def find_tool(name: str, backend: str = "cpu", cache: Path | None = None) -> Path | None:
    path = build_dir(backend, cache) / "bin" / TOOL_ALIASES.get(name, name)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def missing_tool_message(feature: str, name: str) -> str:
    """One wording for every feature that needs a llama.cpp tool this machine has not built."""
    return (f"{feature} needs llama.cpp's {name}, which is not built yet: run scripts/setup.sh "
            "(or python -m runtimes.llama_cpp.native_build)")


def _check_toolchain() -> None:
    missing = [tool for tool in ("cmake", "make") if shutil.which(tool) is None]
    if shutil.which("c++") is None and shutil.which("g++") is None and shutil.which("clang++") is None:
        missing.append("a C++ compiler")
    if missing:
        raise BuildError(f"cannot build llama.cpp: {', '.join(missing)} not found "
                         "(Debian: apt install cmake build-essential)")


def _sdist_source(cache: Path, sdist_dir: Path | None) -> Path:
    if sdist_dir is not None:
        source = Path(sdist_dir) / "vendor" / "llama.cpp"
        if not (source / "CMakeLists.txt").is_file():
            raise BuildError(f"{sdist_dir} has no vendor/llama.cpp")
        return source
    unpacked = cache / f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}"
    source = unpacked / "vendor" / "llama.cpp"
    if (source / "CMakeLists.txt").is_file():
        return source
    download = cache / "sdist"
    archive = download / f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}.tar.gz"
    if not archive.is_file():
        download.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                   "--dest", str(download), f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not archive.is_file():
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BuildError(f"cannot download the llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} sdist: {tail[0]}")
    with tarfile.open(archive) as tar:
        tar.extractall(cache, filter="data")
    return source


def sdist_root(cache: Path | None = None) -> Path:
    """The unpacked sdist (its vendor/llama.cpp/models holds the real ggml-vocab-*.gguf files)."""
    cache = cache or default_cache()
    return _sdist_source(cache, None).parent.parent


def _run(command: list[str], log: Path) -> None:
    with log.open("a") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise BuildError(f"llama.cpp build failed ({' '.join(command[:3])} …): " + " | ".join(tail))


def ensure_built(backend: str = "cpu", cache: Path | None = None, sdist_dir: Path | None = None,
                 jobs: int | None = None) -> Path:
    """Build (or reuse) llama.cpp for this backend; returns the folder holding bin/."""
    cache = (cache or default_cache()).resolve()
    final = build_dir(backend, cache)
    if (final / "build.json").is_file():
        return final
    _check_toolchain()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:  # one build at a time per cache
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "build.json").is_file():
            return final
        source = _sdist_source(cache, sdist_dir)
        work = cache / f"work-{final.name}"
        log = cache / f"build-{final.name}.log"
        log.write_text("")
        cmake_cache = work / "CMakeCache.txt"
        if cmake_cache.is_file() and f"CMAKE_HOME_DIRECTORY:INTERNAL={source}\n" not in cmake_cache.read_text():
            shutil.rmtree(work)  # configured from another copy of the source
        started = time.monotonic()
        _run(["cmake", "-S", str(source), "-B", str(work), *cmake_options(backend)], log)
        jobs = jobs or os.cpu_count() or 2
        targets = [*LIBRARY_TARGETS, *TOOLS]
        _run(["cmake", "--build", str(work), "--config", "Release", "-j", str(jobs), "--target", *targets], log)
        staged = cache / f"staged-{final.name}"
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(work / "bin", staged / "bin", symlinks=True)
        missing = [t for t in TOOLS if not (staged / "bin" / t).is_file()]
        if missing:
            raise BuildError(f"llama.cpp build finished without {', '.join(missing)}")
        record = {"version": LLAMA_CPP_PYTHON_VERSION, "backend": backend, "cmake_options": cmake_options(backend),
                  "seconds": round(time.monotonic() - started, 1), "built": time.strftime("%Y-%m-%dT%H:%M:%S")}
        (staged / "build.json").write_text(json.dumps(record, indent=2))
        shutil.rmtree(final, ignore_errors=True)
        staged.rename(final)
        shutil.rmtree(work, ignore_errors=True)
        shutil.copy(log, final / "build.log")
    return final


def shared_libraries(folder: Path) -> list[Path]:
    """The libraries the Python binding loads (with their soname links)."""
    names = ("libllama.", "libggml", "libmtmd.", "llama.dll", "ggml", "mtmd.dll")
    return sorted(p for p in (folder / "bin").iterdir() if p.name.startswith(names) and ".so" in p.name
                  or p.suffix in (".dylib", ".dll") and p.name.startswith(names))


def install_into(folder: Path, package_lib: Path) -> list[str]:
    """Copy the shared libraries into llama_cpp/lib of an installed binding; returns the names."""
    package_lib.mkdir(parents=True, exist_ok=True)
    copied = []
    for lib in shared_libraries(folder):
        target = package_lib / lib.name
        if target.is_symlink() or target.exists():
            target.unlink()
        if lib.is_symlink():
            target.symlink_to(os.readlink(lib))
        else:
            shutil.copy2(lib, target)
        copied.append(lib.name)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="cpu", choices=BACKENDS)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--sdist-dir", type=Path, default=None)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--install-into", type=Path, default=None, help="llama_cpp/lib of the binding to fill")
    parser.add_argument("--print-dir", action="store_true", help="print the build folder and exit (no build)")
    args = parser.parse_args(argv)
    if args.print_dir:
        print(build_dir(args.backend, args.cache))
        return 0
    try:
        folder = ensure_built(args.backend, args.cache, args.sdist_dir, args.jobs)
        if args.install_into:
            install_into(folder, args.install_into)
    except BuildError as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
