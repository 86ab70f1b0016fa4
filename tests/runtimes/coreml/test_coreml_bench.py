"""The parts of Core ML predicting and benchmarking that run on any OS: input
filling against a spec, latency statistics, the bench table, unit names."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("coremltools", reason="coremltools is a project dependency; run scripts/setup.sh")

from models.tensor.coremltools_import import import_coremltools  # noqa: E402
from runtimes.base import CancelToken, LoadOptions  # noqa: E402
from runtimes.coreml.bench import (  # noqa: E402
    CoreMLBenchRequest,
    bench_table,
    latency_record,
    measure,
    run_bench,
    speedup_column,
)
from runtimes.coreml.inputs import make_inputs  # noqa: E402
from runtimes.coreml.options import CoreMLLoadOptions, compute_units_of  # noqa: E402
from runtimes.errors import BadInput  # noqa: E402
from runtimes.events import Metrics  # noqa: E402
from runtimes.latency_bench import WARMUP_RUNS  # noqa: E402
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


def test_measure_times_the_first_run_apart_then_runs_until_settled():
    calls = []

    def predict():
        calls.append(1)
        time.sleep(0.001 if len(calls) > 1 else 0.02)  # the first prediction compiles

    request = CoreMLBenchRequest(repetitions=5, min_runs=20, min_time_s=0.0)
    *progress, (first_ms, samples) = measure(predict, request, cancel=None)
    assert first_ms >= 20 and len(samples) == 20
    assert len(calls) == 1 + WARMUP_RUNS + 20  # first, untimed warm-ups, timed runs
    assert all(1 <= s < 20 for s in samples)
    assert progress[-1].values == {"done": 20, "total": 20}


def test_measure_honours_repetitions_the_time_budget_and_cancel():
    def predict():
        time.sleep(0.001)

    # repetitions above min_runs: all of them run.
    *_, (_, samples) = measure(predict, CoreMLBenchRequest(repetitions=30, min_runs=5, min_time_s=0), None)
    assert len(samples) == 30
    # the time budget stops a bench that would otherwise want 10 000 runs.
    budget = CoreMLBenchRequest(repetitions=1, min_runs=10_000, time_budget_s=0.05, warmup=False)
    *_, (first_ms, samples) = measure(predict, budget, None)
    assert first_ms is None and 5 <= len(samples) < 200
    cancel = CancelToken()
    runs = []

    def cancelling():
        runs.append(1)
        if len(runs) == 3:
            cancel.cancel()

    *progress, (_, samples) = measure(cancelling, CoreMLBenchRequest(warmup=False), cancel)
    assert len(samples) == 3 and all(isinstance(e, Metrics) for e in progress)


def test_latency_record_percentiles_and_throughput():
    samples = [float(i) for i in range(1, 101)]  # 1..100 ms
    record = latency_record(5.0, samples)
    assert record["n_runs"] == 100 and record["first_run_ms"] == 5.0
    assert record["latency_p50_ms"] == pytest.approx(50.5)
    assert record["latency_p95_ms"] == pytest.approx(95.05)
    assert record["latency_p99_ms"] == pytest.approx(99.01)
    assert record["latency_min_ms"] == 1.0 and record["latency_max_ms"] == 100.0
    assert record["throughput_rps"] == pytest.approx(1000 / 50.5)  # mean 50.5 ms per run


def test_run_bench_merges_the_context_and_makes_no_record_without_runs():
    cancel = CancelToken()
    cancel.cancel()
    events = list(run_bench(lambda: None, CoreMLBenchRequest(), {"compute_units": "ALL"}, cancel))
    assert events[-1].result == []
    events = list(run_bench(lambda: None, CoreMLBenchRequest(min_runs=3, min_time_s=0), {"compute_units": "ALL"}, None))
    (record,) = events[-1].result
    assert record["compute_units"] == "ALL" and record["n_runs"] == 5  # repetitions=5 > min_runs=3


def test_bench_table_shows_the_speedup_over_cpu_only():
    records = [
        {"compute_units": "CPU_ONLY", "latency_p50_ms": 4.0},
        {"compute_units": "CPU_AND_NE", "latency_p50_ms": 1.0},
        {"compute_units": "ALL", "latency_p50_ms": 2.0},
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


def spec_with_image(name: str, space: str, height: int, width: int):
    spec = import_coremltools().proto.Model_pb2.Model()
    feature = spec.description.input.add()
    feature.name = name
    image = feature.type.imageType
    image.colorSpace = type(image).ColorSpace.Value(space)
    image.height, image.width = height, width
    return spec


@pytest.mark.parametrize(("space", "mode"), [("RGB", "RGB"), ("BGR", "RGB"), ("GRAYSCALE", "L"),
                                             ("GRAYSCALE_FLOAT16", "F")])
def test_image_inputs_are_filled_and_converted_to_pil_images(space, mode):
    pytest.importorskip("PIL", reason="Pillow makes the images Core ML takes")
    spec = spec_with_image("photo", space, 6, 4)
    filled = make_inputs(spec, TensorRequest(fill="random", seed=1))["photo"]
    assert (filled.mode, filled.size) == (mode, (4, 6))  # PIL sizes are (width, height)
    pixels = np.asarray(filled)
    given = make_inputs(spec, TensorRequest(inputs={"photo": pixels}))["photo"]
    assert given.mode == mode and np.array_equal(np.asarray(given), pixels)
    with pytest.raises(BadInput, match="image input 'photo' needs pixels of shape"):
        make_inputs(spec, TensorRequest(inputs={"photo": np.zeros((2, 2))}))
