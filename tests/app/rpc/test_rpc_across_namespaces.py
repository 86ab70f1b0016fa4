"""A model split across two rpc-servers in network namespaces of their own, over real veth interfaces.

The loopback split (test_real_rpc_split.py) never leaves ``lo``; here each server sits behind a veth
pair, as a helper machine sits behind a network card, and the interfaces' byte counters show the
weights going out and the results coming back. The local reference run uses --no-repack (see there).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runtimes.llama_cpp.options import LlamaLoadOptions
from tests.support.netns import IP, namespaced_rpc_servers
from tests.support.rpc_servers import greedy_ids, require_rpc


@pytest.fixture(scope="module")
def servers():
    require_rpc()
    with namespaced_rpc_servers(2) as servers:
        yield servers


@pytest.mark.parametrize("quant", ["F32", "Q4_K_M"])
def test_split_across_two_namespaces_gives_the_local_greedy_tokens_over_veth(servers, demo_ladder, quant):
    model = demo_ladder[quant]
    local, _ = greedy_ids(model, LlamaLoadOptions(n_ctx=256, n_threads=1, repack=False))
    before = [server.counters() for server in servers]
    remote, info = greedy_ids(model, LlamaLoadOptions(n_ctx=256, n_threads=1, n_gpu_layers=99,
                                                      rpc=tuple(server.endpoint for server in servers)))
    moved = [server.counters() - start for server, start in zip(servers, before, strict=True)]

    assert len(local) == 48 and remote == local
    assert [endpoint for _, endpoint, _ in info["rpc_devices"]] == [server.endpoint for server in servers]
    assert {device for _, device in info["layer_split"]} == {"RPC0", "RPC1"}  # both servers hold layers
    size = model.stat().st_size
    assert sum(m.tx_bytes for m in moved) > size / 2, (moved, size)  # the weights went out over the veths
    assert all(m.tx_bytes > size / 10 and m.rx_bytes > 0 for m in moved), (moved, size)


def test_namespaces_and_veths_are_removed_even_when_the_test_fails():
    require_rpc()
    with pytest.raises(RuntimeError, match="the test failed"), namespaced_rpc_servers(1) as (server,):
        assert Path("/sys/class/net", server.veth).exists() and server.process.poll() is None
        raise RuntimeError("the test failed")
    namespaces = subprocess.run([IP, "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert server.namespace not in namespaces
    assert not Path("/sys/class/net", server.veth).exists()
    assert server.process.poll() is not None
