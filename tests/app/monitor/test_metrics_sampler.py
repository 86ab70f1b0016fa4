"""Token rate math and the background sampler, with the real clock and OS."""

from __future__ import annotations

import os
import threading
import time

import psutil
import pytest

from app.monitor.sampler import MetricsSampler, TokenMeter


def test_token_rate_over_a_one_second_window():
    meter = TokenMeter(window_s=1.0)
    for i in range(20):  # 20 tokens at 10 tokens/s, from t = 100.0 to 101.9
        meter.add(1, now=100.0 + i * 0.1)
    assert meter.rate(now=101.95) == pytest.approx(10.0)  # the 10 stamps in [100.95, 101.95]
    meter.add(5, now=102.0)  # one event carrying five tokens
    assert meter.rate(now=102.05) == pytest.approx(14.0)  # 9 stamps in [101.05, 101.9] + 5
    assert meter.rate(now=104.0) == 0.0  # everything has left the window


def test_token_rate_scales_with_the_window():
    meter = TokenMeter(window_s=2.0)
    meter.add(8, now=10.0)
    assert meter.rate(now=11.0) == pytest.approx(4.0)


def test_sampler_calls_back_at_least_four_times_a_second_off_the_main_thread():
    samples, threads = [], set()
    arrived = []

    def on_sample(s):
        samples.append(s)
        threads.add(threading.get_ident())
        arrived.append(time.monotonic())

    sampler = MetricsSampler(on_sample, os.getpid, TokenMeter())
    sampler.start()
    try:
        time.sleep(2.1)
    finally:
        sampler.stop()

    assert len(samples) >= 8
    assert (len(arrived) - 1) / (arrived[-1] - arrived[0]) >= 4.0
    assert threading.get_ident() not in threads
    assert all(b.t > a.t for a, b in zip(samples, samples[1:], strict=False))

    ours = psutil.Process().memory_info().rss
    assert samples[-1].worker_rss == pytest.approx(ours, rel=0.2)
    memory = psutil.virtual_memory()
    assert samples[-1].system_used + samples[-1].system_available == pytest.approx(memory.total, rel=0.01)


def test_sampler_reports_no_worker_memory_without_a_worker():
    got = []
    sampler = MetricsSampler(got.append, lambda: None, TokenMeter())
    s = sampler.sample()
    assert s.worker_rss is None and s.vram is None


def test_stop_ends_the_thread_and_the_callbacks():
    got = []
    sampler = MetricsSampler(got.append, lambda: None, TokenMeter(), interval_s=0.05)
    sampler.start()
    thread = sampler._thread
    time.sleep(0.3)
    sampler.stop()
    assert not thread.is_alive()
    count = len(got)
    time.sleep(0.2)
    assert len(got) == count > 0


def test_a_failing_callback_does_not_end_sampling():
    calls = []

    def flaky(s):
        calls.append(s)
        if len(calls) == 1:
            raise RuntimeError("receiver went away")

    sampler = MetricsSampler(flaky, lambda: None, TokenMeter(), interval_s=0.05)
    sampler.start()
    try:
        deadline = time.monotonic() + 2.0
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sampler.stop()
    assert len(calls) >= 3
