#!/usr/bin/env bash
# Set everything the tests need up, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
