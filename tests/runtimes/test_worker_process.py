"""Worker isolation: cancel, crash and memory, seen from the parent."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from models.errors import ModelFileError
from runtimes.base import CancelToken
from runtimes.errors import LoadFailed, WorkerCrashed
from runtimes.events import Done, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.registry import get_runtime
from runtimes.requests import Sampling, TextRequest

LONG = TextRequest(prompt="Go", sampling=Sampling(temperature=0.8, seed=7, max_tokens=0))


def load(model: Path):
    return get_runtime("llama.cpp").load(model, LlamaLoadOptions(n_ctx=2048, n_threads=2))


def test_cancel_stops_generation_within_one_token(demo_model):
    with load(demo_model) as session:
        cancel = CancelToken()
        seen = 0
        for event in session.run(LONG, cancel):
            if isinstance(event, Token):
                seen += 1
                if seen == 5:
                    cancel.cancel()
            if isinstance(event, Done):
                done = event
        assert done.stats.stop_reason == "cancelled"
        assert session.units_at_cancel is not None
        assert done.stats.n_gen <= session.units_at_cancel + 1
        assert done.stats.n_gen < 2000  # it did not just run to the end of the context


def test_breaking_out_of_the_stream_leaves_the_session_usable(demo_model):
    greedy = TextRequest(prompt="Go", sampling=Sampling(temperature=0, max_tokens=16))
    with load(demo_model) as session:
        for i, _ in enumerate(session.run(LONG)):
            if i == 3:
                break
        first = [e.text for e in session.run(greedy) if isinstance(e, Token)]
        second = [e.text for e in session.run(greedy) if isinstance(e, Token)]
    assert len(first) == 16
    assert first == second


@pytest.mark.parametrize(
    ("sig", "words"), [(signal.SIGKILL, "out of memory"), (signal.SIGABRT, "aborted"), (signal.SIGSEGV, "SIGSEGV")]
)
def test_a_dead_worker_raises_a_typed_error_and_the_parent_lives_on(demo_model, sig, words):
    session = load(demo_model)
    try:
        with pytest.raises(WorkerCrashed) as info:
            for i, _ in enumerate(session.run(LONG)):
                if i == 2:
                    os.kill(session.pid, sig)
        assert info.value.exit_code == -sig
        assert words in str(info.value)
    finally:
        session.close()
    with load(demo_model) as again:  # the app goes on with a fresh worker
        assert any(isinstance(e, Done) for e in again.run(TextRequest(prompt="x", sampling=Sampling(max_tokens=2))))


def test_a_worker_killed_while_idle_is_a_worker_crash_on_the_next_request_not_a_broken_pipe(demo_model):
    short = TextRequest(prompt="x", sampling=Sampling(max_tokens=2))
    session = load(demo_model)
    try:
        assert any(isinstance(e, Done) for e in session.run(short))
        os.kill(session.pid, signal.SIGKILL)
        worker, deadline = psutil.Process(session.pid), time.monotonic() + 10
        while worker.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:  # dead, not yet reaped
            time.sleep(0.02)
        with pytest.raises(WorkerCrashed) as info:
            list(session.run(short))
        assert info.value.exit_code == -signal.SIGKILL and "out of memory" in str(info.value)
    finally:
        session.close()


def test_the_model_host_hears_of_an_idle_death_at_once_and_of_no_planned_close(demo_model):
    from app.model_host import ModelHost

    heard = []
    host = ModelHost(on_worker_died=lambda loaded, crash: heard.append((loaded, crash)))
    loaded = host.load("llama.cpp", demo_model, LlamaLoadOptions(n_ctx=256, n_threads=2))
    crash = None
    try:
        os.kill(loaded.pid, signal.SIGKILL)
        crash = loaded.session.wait_for_exit(timeout=10)
        assert isinstance(crash, WorkerCrashed) and crash.exit_code == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while not heard and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(heard) == 1 and heard[0][0] is loaded and heard[0][1].exit_code == -signal.SIGKILL
    finally:
        host.unload()
    again = host.load("llama.cpp", demo_model, LlamaLoadOptions(n_ctx=256, n_threads=2))
    host.unload()  # a planned close is not a death
    assert again.session.wait_for_exit(timeout=10) is None
    time.sleep(0.3)
    assert len(heard) == 1


def test_memory_comes_from_the_worker_process(demo_model):
    with load(demo_model) as session:
        assert session.pid != os.getpid()
        rss_now = psutil.Process(session.pid).memory_info().rss
        assert session.stats.peak_rss_bytes >= rss_now * 0.9
        reported, _ = session.memory()
        assert abs(reported - rss_now) < 0.2 * rss_now


def test_llama_cpp_refusal_is_a_load_error_not_a_crash(tmp_path):
    import gguf
    import numpy as np

    path = tmp_path / "no-tensors.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_context_length(64)
    writer.add_embedding_length(256)
    writer.add_feed_forward_length(256)
    writer.add_head_count(4)
    writer.add_tensor("output_norm.weight", np.ones(256, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(LoadFailed):
        load(path)


def test_malformed_file_is_refused_before_any_worker_starts(tmp_path):
    path = tmp_path / "junk.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40)
    children_before = len(psutil.Process().children())
    with pytest.raises(ModelFileError):
        load(path)
    assert len(psutil.Process().children()) == children_before

