"""Where a running server says so (state.json next to its key file), so `workbench ls` can mark
what is loaded without being told the port or the key."""

from __future__ import annotations

import json
from pathlib import Path

import psutil


def write_state(workdir: Path, root_url: str, pid: int) -> None:
    (workdir / "state.json").write_text(json.dumps({"root_url": root_url, "pid": pid}))


def clear_state(workdir: Path) -> None:
    (workdir / "state.json").unlink(missing_ok=True)


def running_server(workdir: Path) -> tuple[str, str] | None:
    """(root URL, API key) of a live server started from this workdir, else None."""
    try:
        state = json.loads((workdir / "state.json").read_text())
        key = (workdir / "api-key").read_text().strip()
    except (OSError, ValueError):
        return None
    if not psutil.pid_exists(int(state.get("pid", 0))):
        return None
    return state["root_url"], key
