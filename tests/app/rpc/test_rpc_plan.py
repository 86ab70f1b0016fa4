"""The fit plan across local and remote devices: llama.cpp's placement, the estimator's bytes."""

from __future__ import annotations

from app.cli.main import main as cli_main
from app.rpc.plan import plan_split
from models.gguf.fit_estimate import FitRequest, ModelShape, kv_cache_bytes
from runtimes.llama_cpp.rpc.layer_split import DeviceShare

MiB = 2**20
SHAPE = ModelShape("llama", 8, 512, 8, 8, 64, 64, 1024, 32000, 4096,
                   tuple(10 * MiB for _ in range(8)), 30 * MiB, 40 * MiB, 0)


def test_each_device_gets_its_layers_weights_and_kv():
    devices = [DeviceShare("RPC0", 4 << 30), DeviceShare("RPC1", 32 * MiB)]
    plans = {p.device: p for p in plan_split(SHAPE, FitRequest(1024, n_gpu_layers=99), devices, 8 << 30, (1, 1))}
    # 9 slots (8 blocks + output) at 1:1: slot i goes to RPC0 while i/9 < 0.5, as in llama.cpp
    assert plans["RPC0"].holds == "blocks 0-4" and plans["RPC1"].holds == "blocks 5-7 + output"
    assert plans["RPC0"].weights == 50 * MiB and plans["RPC1"].weights == 60 * MiB
    assert plans["CPU"].holds == "token embeddings" and plans["CPU"].weights == 40 * MiB
    assert plans["RPC0"].kv + plans["RPC1"].kv == kv_cache_bytes(SHAPE, 1024, "f16") and plans["CPU"].kv == 0
    assert plans["RPC0"].fits and not plans["RPC1"].fits  # 60 MiB of weights in 32 MiB


def test_partial_offload_leaves_the_first_blocks_on_the_cpu():
    devices = [DeviceShare("RPC0", 1 << 30)]
    plans = {p.device: p for p in plan_split(SHAPE, FitRequest(512, n_gpu_layers=3), devices, 8 << 30)}
    assert plans["CPU"].holds == "token embeddings + blocks 0-5"
    assert plans["RPC0"].holds == "blocks 6-7 + output"
    assert plans["CPU"].weights == 40 * MiB + 60 * MiB and plans["RPC0"].weights == 50 * MiB


def test_fit_cli_refuses_an_unreachable_endpoint(demo_model, capsys):
    assert cli_main(["fit", str(demo_model), "--rpc", "127.0.0.1:9"]) == 1
    assert "cannot reach RPC server 127.0.0.1:9" in capsys.readouterr().err
