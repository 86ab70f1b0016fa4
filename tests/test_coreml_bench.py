"""The parts of Core ML predicting and benchmarking that run on any OS: input
filling against a spec, latency statistics, the bench table, unit names."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("coremltools", reason="coremltools is a project dependency; run scripts/setup.sh")

from models.coremltools_import import import_coremltools  # noqa: E402
from runtimes.base import CancelToken, LoadOptions  # noqa: E402
from runtimes.coreml.bench import bench_table, latency_record, measure, speedup_column  # noqa: E402
from runtimes.coreml.inputs import BadInput, make_inputs  # noqa: E402
from runtimes.coreml.options import CoreMLLoadOptions, compute_units_of  # noqa: E402
from runtimes.events import Metrics  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import TensorRequest  # noqa: E402

FLOAT32, INT32, FLOAT16 = 65568, 131104, 65552


def spec_with_inputs(*features: tuple[str, int, list[int] | list[list[int]], bool]):
    """A model spec whose inputs are multi-arrays: (name, data type, shape or enumerated shapes, optional)."""
    spec = import_coremltools().proto.Model_pb2.Model()
    for name, data_type, shape, optional in features:
        feature = spec.description.input.add()
        feature.name = name
        feature.type.isOptional = optional
        array = feature.type.multiArrayType
        array.dataType = data_type
        if shape and isinstance(shape[0], list):
            for option in shape:
                array.enumeratedShapes.shapes.add().shape.extend(option)
        else:
            array.shape.extend(shape)
    return spec


def test_missing_inputs_are_filled_in_the_declared_type_and_shape():
    spec = spec_with_inputs(("x", FLOAT32, [1, 8], False), ("ids", INT32, [4], False), ("h", FLOAT16, [2], False))
    inputs = make_inputs(spec, TensorRequest(fill="random", seed=7))
    assert {k: (v.dtype.name, v.shape) for k, v in inputs.items()} == {
        "x": ("float32", (1, 8)), "ids": ("int32", (4,)), "h": ("float16", (2,)),
    }  # fmt: skip
    assert inputs["x"].std() > 0
    again = make_inputs(spec, TensorRequest(fill="random", seed=7))
    assert np.array_equal(inputs["x"], again["x"])  # the seed makes runs repeatable
    zeros = make_inputs(spec, TensorRequest(fill="zeros"))
    assert not any(v.any() for v in zeros.values())


def test_given_inputs_are_cast_and_optional_ones_left_out():
    spec = spec_with_inputs(("x", FLOAT32, [2], False), ("mask", FLOAT32, [2], True))
    inputs = make_inputs(spec, TensorRequest(inputs={"x": [1, 2]}))
    assert list(inputs) == ["x"]
    assert inputs["x"].dtype == np.float32 and inputs["x"].tolist() == [1.0, 2.0]


def test_enumerated_shapes_fill_with_the_first_and_accept_any_listed():
    spec = spec_with_inputs(("x", FLOAT32, [[1, 8], [4, 8]], False))
    assert make_inputs(spec, TensorRequest()).get("x").shape == (1, 8)
    assert make_inputs(spec, TensorRequest(inputs={"x": np.ones((4, 8))}))["x"].shape == (4, 8)
    with pytest.raises(BadInput, match=r"has shape \[2, 8\], but the model takes one of \[\[1, 8\], \[4, 8\]\]"):
        make_inputs(spec, TensorRequest(inputs={"x": np.ones((2, 8))}))


def test_bad_inputs_are_named():
    spec = spec_with_inputs(("x", FLOAT32, [1, 8], False))
    with pytest.raises(BadInput, match=r"unknown input 'y'; the model's inputs: x"):
        make_inputs(spec, TensorRequest(inputs={"y": np.ones(3)}))
    with pytest.raises(BadInput, match=r"input 'x' has shape \[8\], but the model takes \[1, 8\]"):
        make_inputs(spec, TensorRequest(inputs={"x": np.ones(8)}))
    with pytest.raises(BadInput, match="unknown fill 'ones'"):
        make_inputs(spec, TensorRequest(fill="ones"))


def test_measure_times_each_run_after_an_untimed_warmup():
    calls = []

    def predict():
        calls.append(time.perf_counter())
        time.sleep(0.002)

    events = list(measure(predict, reps=4, warmup=True, cancel=None))
    progress, (first_ns, samples) = events[:-1], events[-1]
    assert [e.values for e in progress] == [{"done": i, "total": 4} for i in range(1, 5)]
    assert len(calls) == 5 and len(samples) == 4
    assert first_ns >= 2e6 and all(s >= 2e6 for s in samples)


def test_measure_stops_when_cancelled():
    cancel = CancelToken()
    runs = []

    def predict():
        runs.append(1)
        if len(runs) == 3:
            cancel.cancel()

    *progress, (first_ns, samples) = measure(predict, reps=10, warmup=False, cancel=cancel)
    assert first_ns is None and len(samples) == 3
    assert all(isinstance(e, Metrics) for e in progress)


def test_latency_record_percentiles_and_throughput():
    samples = [i * 1_000_000 for i in range(1, 101)]  # 1..100 ms
    record = latency_record(5_000_000, samples)
    assert record["n_runs"] == 100 and record["first_ms"] == 5.0
    assert record["p50_ms"] == pytest.approx(50.5)
    assert record["p95_ms"] == pytest.approx(95.05)
    assert record["p99_ms"] == pytest.approx(99.01)
    assert record["min_ms"] == 1.0 and record["max_ms"] == 100.0
    assert record["throughput_per_s"] == pytest.approx(100 / 5.050)  # 100 runs in 5050 ms


def test_bench_table_shows_the_speedup_over_cpu_only():
    records = [
        {"compute_units": "CPU_ONLY", "p50_ms": 4.0},
        {"compute_units": "CPU_AND_NE", "p50_ms": 1.0},
        {"compute_units": "ALL", "p50_ms": 2.0},
    ]
    assert speedup_column(records) == ["1.00x", "4.00x", "2.00x"]
    table = get_runtime("coreml").bench_markdown(records).splitlines()
    assert table[0].startswith("| compute_units | n_runs |") and table[0].endswith("| vs CPU_ONLY (p50) |")
    assert table[3].startswith("| CPU_AND_NE |") and table[3].endswith("| 4.00x |")
    assert speedup_column(records[1:]) == ["", ""]  # no CPU baseline measured: no ratio invented
    assert bench_table(records[:1], ("compute_units",)).splitlines()[2] == "| CPU_ONLY | 1.00x |"


def test_compute_units_come_from_any_load_options():
    assert compute_units_of(CoreMLLoadOptions(compute_units="cpu_and_ne")) == "CPU_AND_NE"
    assert compute_units_of(LoadOptions()) == "CPU_ONLY"  # the generic default device is "cpu"
    assert compute_units_of(LoadOptions(device="ane")) == "CPU_AND_NE"
    assert compute_units_of(LoadOptions(extra={"compute_units": "ALL"})) == "ALL"
    with pytest.raises(ValueError, match="unknown Core ML compute unit 'NPU'; choose from CPU_ONLY"):
        CoreMLLoadOptions(compute_units="NPU")
    with pytest.raises(TypeError, match="takes CoreMLLoadOptions or LoadOptions"):
        compute_units_of({"compute_units": "ALL"})
