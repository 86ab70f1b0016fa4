"""Stopping a llama.cpp tool process (llama-imatrix, llama-quantize, rpc-server): ask, then insist."""

from __future__ import annotations

import subprocess

GRACE_S = 5.0  # time a tool gets to exit on SIGTERM before SIGKILL


def stop_process(proc: subprocess.Popen, grace_s: float = GRACE_S) -> None:
    """Terminate ``proc`` if it still runs; kill it if it has not exited within ``grace_s``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
