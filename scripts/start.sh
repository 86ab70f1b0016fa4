#!/usr/bin/env bash
# Set everything up, then launch Workbench. Extra arguments go to `workbench`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh app
exec .venv/bin/workbench "$@"
