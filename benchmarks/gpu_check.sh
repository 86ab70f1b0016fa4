#!/usr/bin/env bash
# The GPU paths in one call: build (or reuse) the CUDA llama.cpp, run the GPU checks, print one table.
# Without an NVIDIA GPU it prints "no GPU: skipped" and exits 0. See benchmarks/README.md.
#   WORKBENCH_LLAMA_CACHE  where the CUDA build goes (default: .cache/llama-gpu here, so it can be carried)
#   WORKBENCH_SDIST_DIR    an unpacked llama-cpp-python sdist to build from (default: the cache's, else pip download)
#   PYTHON                 the interpreter with the project's dependencies (default: .venv, then python3)
#   GPU_CHECK_LIMIT_S      overall limit (default 570 s)
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "no GPU: skipped (nvidia-smi finds no NVIDIA GPU)"
    exit 0
fi
nvidia-smi -L

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
    for candidate in .venv/bin/python /work/main/.venv/bin/python python3; do
        if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
    done
fi
if ! "$PY" -c "import gguf, numpy, psutil, llama_cpp" >/dev/null 2>&1; then
    echo "gpu_check: $PY lacks the project's dependencies (gguf, numpy, psutil, llama-cpp-python): set PYTHON" >&2
    exit 1
fi
export WORKBENCH_LLAMA_CACHE="${WORKBENCH_LLAMA_CACHE:-$PWD/.cache/llama-gpu}"
exec timeout "${GPU_CHECK_LIMIT_S:-570}" "$PY" benchmarks/gpu_checks.py "$@"
