"""Layer placement across local and remote devices, by llama.cpp's rule."""

from __future__ import annotations

import pytest

from runtimes.llama_cpp.rpc.layer_split import CPU, DeviceShare, layer_devices, summarize

TWO = [DeviceShare("RPC0", 8 << 30), DeviceShare("RPC1", 8 << 30)]


def test_even_memory_splits_blocks_and_output_evenly():
    names = layer_devices(4, 99, TWO)
    assert names == ["RPC0", "RPC0", "RPC0", "RPC1", "RPC1"]  # 4 blocks + output
    assert summarize(names) == [("blocks 0-2", "RPC0"), ("block 3 + output", "RPC1")]


def test_tensor_split_overrides_free_memory_and_partial_offload_keeps_first_blocks_on_cpu():
    assert summarize(layer_devices(18, 99, TWO, (3, 1))) == [("blocks 0-14", "RPC0"), ("blocks 15-17 + output", "RPC1")]
    names = layer_devices(18, 5, TWO)
    assert names[:14] == [CPU] * 14 and names[14:] == ["RPC0", "RPC0", "RPC0", "RPC1", "RPC1"]
    assert layer_devices(4, 0, TWO) == [CPU] * 5 and layer_devices(4, 99, []) == [CPU] * 5


def test_memory_shares_follow_free_memory_and_bad_split_is_refused():
    uneven = [DeviceShare("RPC0", 1 << 30), DeviceShare("CUDA0", 3 << 30)]
    assert layer_devices(7, -1, uneven).count("RPC0") == 2
    with pytest.raises(ValueError, match="3 values"):
        layer_devices(4, 99, TWO, (1, 1, 1))
