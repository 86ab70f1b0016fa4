#!/usr/bin/env bash
# Set up everything Workbench needs: system packages, a virtual environment,
# and the app itself (this compiles the CPU build of llama-cpp-python once;
# pip's wheel cache makes later runs fast). Usage: scripts/setup.sh [app|test]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-app}"
PYTHON="${PYTHON:-python3}"
VENV=".venv"

SYSTEM_PACKAGES=(python3-venv python3-dev build-essential)
# Test-only system packages are added here as features need them.
TEST_SYSTEM_PACKAGES=()

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
EXTRAS=""
[ "$MODE" = test ] && EXTRAS="[test]"
echo "setup: installing workbench$EXTRAS (the first run compiles llama-cpp-python: ~10 min on 2 cores)"
"$VENV/bin/python" -m pip install --quiet --editable ".$EXTRAS"
