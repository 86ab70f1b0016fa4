"""The ONNX benchmark: one record per provider with latency percentiles,
throughput and the worker's peak memory; `workbench bench` dispatches to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli.main import main
from runtimes.base import BenchSpec, CancelToken
from runtimes.errors import RuntimeUnavailable
from runtimes.events import Done, Error, Metrics
from runtimes.onnx.bench import OnnxBenchRequest
from runtimes.onnx.options import OnnxLoadOptions
from runtimes.registry import get_runtime

PERCENTILES = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms")


@pytest.fixture(scope="module")
def convnet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from models.demo.onnx import build_demo_onnx

    files = dict(build_demo_onnx(tmp_path_factory.mktemp("onnx-bench"), None))
    return files["ONNX convnet"]


def installed_provider_names() -> list[str]:
    return [d.description.split(":")[0] for d in get_runtime("onnxruntime").devices() if d.available]


def check_record(record: dict) -> None:
    p50, p95, p99 = (record[k] for k in PERCENTILES)
    assert 0 < record["latency_min_ms"] <= p50 <= p95 <= p99 <= record["latency_max_ms"]
    assert record["latency_min_ms"] <= record["latency_mean_ms"] <= record["latency_max_ms"]
    assert record["throughput_rps"] == pytest.approx(1000 / record["latency_mean_ms"])
    assert record["peak_rss_mib"] > 10  # onnxruntime alone maps more than this
    assert record["inputs"] == "image:1x3x64x64:float32"


def test_bench_runs_plan_one_run_per_provider(convnet):
    runtime = get_runtime("onnxruntime")
    every = runtime.bench_runs(convnet, BenchSpec())
    assert [run.options.providers for run in every] == [(d.id,) for d in runtime.devices() if d.available]
    (cpu,) = runtime.bench_runs(convnet, BenchSpec(params={"providers": ("CPU",)}))
    assert cpu.options.providers == ("cpu",) and cpu.label.endswith("on CPU")
    (by_device,) = runtime.bench_runs(convnet, BenchSpec(params={"devices": ["cpu"]}))
    assert by_device.options.providers == ("cpu",)
    if "CUDA" not in installed_provider_names():
        with pytest.raises(RuntimeUnavailable, match="CUDA execution provider is unavailable"):
            runtime.bench_runs(convnet, BenchSpec(params={"providers": ("CUDA",)}))


def test_bench_in_process_reports_percentiles(convnet):
    session = get_runtime("onnxruntime").open_session(convnet, OnnxLoadOptions(n_threads=1))
    try:
        request = OnnxBenchRequest(repetitions=5, min_runs=40, min_time_s=0.0)
        events = list(session.run(request, CancelToken()))
    finally:
        session.close()
    done = events[-1]
    assert isinstance(done, Done), done
    (record,) = done.result
    assert record["n_runs"] == 40 and record["provider"] == "CPU"
    assert isinstance(events[-2], Metrics) and events[-2].values == {"done": 40, "total": 40}
    check_record(record)


def test_bench_stops_on_cancel_with_what_it_measured(convnet):
    session = get_runtime("onnxruntime").open_session(convnet, OnnxLoadOptions(n_threads=1))
    cancel = CancelToken()
    cancel.cancel()
    try:
        done = list(session.run(OnnxBenchRequest(min_runs=10_000, min_time_s=60), cancel))[-1]
    finally:
        session.close()
    assert isinstance(done, Done) and done.result == []


def test_bench_with_unusable_made_up_inputs_is_an_error(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from tests.support.onnx_models import relu_model

    model = relu_model(tmp_path / "relu.onnx", opset=17)
    proto = onnx.load(str(model))
    proto.graph.input[0].CopyFrom(helper.make_tensor_value_info("x", TensorProto.STRING, ["batch"]))
    proto.graph.node[0].op_type = "Identity"
    proto.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.STRING, ["batch"]))
    onnx.save(proto, str(model))
    session = get_runtime("onnxruntime").open_session(model, OnnxLoadOptions())
    error = list(session.run(OnnxBenchRequest()))[-1]
    assert isinstance(error, Error) and "input 'x' is tensor(string); give it as a .npy file" in error.message


def test_workbench_bench_reports_percentiles_per_provider(convnet, capsys):
    assert main(["bench", str(convnet), "--providers", "CPU", "-r", "3", "-t", "1", "-o", "json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["provider"] == "CPU" and record["model_filename"] == str(convnet)
    assert record["n_runs"] >= 100  # a p99 needs on the order of a hundred samples
    check_record(record)
    assert main(["bench", str(convnet), "--providers", "CPU", "-r", "3", "-t", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split("|")[1:4] == [" provider ", " n_runs ", " latency_p50_ms "]
    assert table[2].startswith("| CPU |")


def test_workbench_bench_names_a_missing_provider(convnet, capsys):
    if "CUDA" in installed_provider_names():
        pytest.skip("this onnxruntime has CUDA")
    assert main(["bench", str(convnet), "--providers", "CPU,CUDA"]) == 1
    assert "CUDA execution provider is unavailable" in capsys.readouterr().err
