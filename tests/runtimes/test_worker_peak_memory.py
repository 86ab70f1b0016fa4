"""A worker's peak RSS is its own, not its parent's: on Linux ru_maxrss carries
the forking parent's resident size across exec, so a big GUI process made every
worker look big. VmHWM starts afresh in the new process."""

from __future__ import annotations

import sys

import pytest

from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.memory import own_peak_rss, process_rss
from runtimes.registry import get_runtime

BALLAST = 384 * 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the inherited ru_maxrss is a Linux behaviour")
def test_worker_peak_rss_ignores_the_parents_size(demo_model):
    ballast = bytearray(BALLAST)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # touch every page: resident in this process
    assert process_rss() > BALLAST
    session = get_runtime("llama.cpp").load(demo_model, LlamaLoadOptions(n_ctx=256, n_threads=1))
    try:
        peak = session.stats.peak_rss_bytes
    finally:
        session.close()
    del ballast
    assert 0 < peak < BALLAST / 2, f"worker peak {peak / 2**20:.0f} MiB includes the parent's"
    assert own_peak_rss() > BALLAST  # this process's own peak did include the ballast
