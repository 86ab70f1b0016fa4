"""A model split across two loopback rpc-servers (stand-ins for two helper machines).

Loads real llama.cpp workers. Quantized weights: the local CPU backend repacks Q4_K
into an interleaved layout (other kernels, other rounding) while an RPC server keeps
the file's layout, so the local reference run uses --no-repack (llama.cpp's -nr).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from runtimes.errors import LoadFailed, WorkerCrashed
from runtimes.events import Done, Token
from runtimes.llama_cpp.bench import BenchRequest
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.registry import get_runtime
from runtimes.requests import Sampling, TextRequest
from tests.support.rpc_servers import free_port, greedy_ids, require_rpc, rpc_hosts


@pytest.fixture(scope="module")
def servers():
    require_rpc()
    with rpc_hosts(2) as hosts:
        yield hosts


def _endpoints(hosts) -> tuple[str, ...]:
    return tuple(h.local_endpoint for h in hosts)


@pytest.mark.parametrize("quant", ["F32", "Q4_K_M"])
def test_split_across_two_servers_gives_the_local_greedy_tokens(servers, demo_ladder, quant):
    model = demo_ladder[quant]
    local, _ = greedy_ids(model, LlamaLoadOptions(n_ctx=256, n_threads=1, repack=False))
    remote, info = greedy_ids(model, LlamaLoadOptions(n_ctx=256, n_threads=1, n_gpu_layers=99,
                                                       rpc=_endpoints(servers)))
    assert len(local) == 48 and remote == local
    assert [name for name, _, _ in info["rpc_devices"]] == ["RPC0", "RPC1"]
    assert {device for _, device in info["layer_split"]} == {"RPC0", "RPC1"}  # both servers hold layers


def test_bench_through_rpc_reports_tokens_per_second(servers, demo_model):
    options = LlamaLoadOptions(n_ctx=128, n_threads=1, n_gpu_layers=99, rpc=_endpoints(servers))
    with get_runtime("llama.cpp").load(demo_model, options) as session:
        done = list(session.run(BenchRequest((32,), (16,), 2)))[-1]
    assert isinstance(done, Done)
    rates = {(r["n_prompt"], r["n_gen"]): r["avg_ts"] for r in done.result}
    assert rates[(32, 0)] > 0 and rates[(0, 16)] > 0
    assert all(r["backends"].endswith("RPC") for r in done.result)  # as llama-bench labels an RPC run


def test_wrong_address_fails_fast_with_a_clear_error(demo_model):
    require_rpc()
    started = time.monotonic()
    options = LlamaLoadOptions(n_ctx=128, n_gpu_layers=99, rpc=(f"127.0.0.1:{free_port()}",))
    with pytest.raises(LoadFailed, match="cannot reach RPC server 127.0.0.1:"):
        get_runtime("llama.cpp").load(demo_model, options)
    assert time.monotonic() - started < 30  # worker start + a refused connect, never ggml's abort


def _long_run(hosts, model: Path, timeout_s: float, stop_server) -> tuple[float, Exception]:
    options = LlamaLoadOptions(n_ctx=2048, n_threads=1, n_gpu_layers=99, rpc=_endpoints(hosts),
                               rpc_timeout_s=timeout_s)
    session = get_runtime("llama.cpp").load(model, options)
    request = TextRequest(prompt="Once", sampling=Sampling(temperature=0, max_tokens=2000))
    try:
        tokens = 0
        with pytest.raises(WorkerCrashed) as failure:
            for event in session.run(request):
                tokens += isinstance(event, Token)
                if tokens == 5:
                    stop_server(hosts[1].process)
                    stopped = time.monotonic()
        return time.monotonic() - stopped, failure.value
    finally:
        session.close()


def test_a_server_killed_mid_generation_ends_in_a_clear_error(demo_model):
    require_rpc()
    with rpc_hosts(2) as hosts:
        elapsed, error = _long_run(hosts, demo_model, 60, lambda p: p.send_signal(signal.SIGKILL))
    assert elapsed < 10
    assert "Remote RPC server crashed" in str(error) and error.exit_code == -signal.SIGABRT


def test_a_server_that_stops_answering_is_cut_off_by_the_timeout(demo_model):
    require_rpc()
    with rpc_hosts(2) as hosts:
        try:
            elapsed, error = _long_run(hosts, demo_model, 2, lambda p: p.send_signal(signal.SIGSTOP))
        finally:
            os.kill(hosts[1].process.pid, signal.SIGCONT)
    assert 2 <= elapsed < 10
    assert "no progress for 2 s" in str(error)


LOAD_AND_LOG = """
import sys, llama_cpp
from runtimes.llama_cpp.rpc.devices import add_rpc_servers
add_rpc_servers(tuple(sys.argv[3:]))
llama_cpp.Llama(sys.argv[1], n_gpu_layers=int(sys.argv[2]), n_ctx=512, tensor_split=[3, 1], verbose=True)
"""


@pytest.mark.parametrize("which", ["demo", "gemma"])
def test_fit_plan_matches_llamas_own_buffers(servers, demo_model, which, request):
    """The plan's bytes per remote device equal llama.cpp's "model buffer size" and "KV buffer size" lines."""
    import re
    import subprocess
    import sys

    from app.rpc.plan import plan_split
    from models.gguf.fit_estimate import FitRequest, shape_from_file
    from runtimes.llama_cpp.rpc.layer_split import DeviceShare

    model = demo_model if which == "demo" else request.getfixturevalue("gemma_model")
    endpoints = _endpoints(servers)
    log = subprocess.run([sys.executable, "-c", LOAD_AND_LOG, str(model), "3", *endpoints],
                         capture_output=True, text=True, timeout=120).stderr
    plans = plan_split(shape_from_file(model), FitRequest(512, n_gpu_layers=3),
                       [DeviceShare("RPC0", 1 << 34), DeviceShare("RPC1", 1 << 34)], 1 << 34, (3, 1))
    for plan, endpoint in zip(plans[1:], endpoints, strict=True):
        def logged(kind: str, endpoint: str = endpoint) -> float:
            found = re.findall(rf"\[{re.escape(endpoint)}\] {kind} buffer size =\s+([\d.]+) MiB", log)
            return sum(float(x) for x in found)
        assert logged("model") == pytest.approx(plan.weights / 2**20, abs=0.01), plan
        assert logged("KV") == pytest.approx(plan.kv / 2**20, abs=0.01), plan
