"""CPU sessions call onnxruntime's binding directly; other providers and other builds keep the public run."""

from __future__ import annotations

import numpy as np
import pytest

from runtimes.events import Done
from runtimes.onnx.direct_run import direct_run
from runtimes.onnx.options import OnnxLoadOptions
from runtimes.registry import get_runtime
from runtimes.requests import TensorRequest


class _PublicOnly:
    """Stands in for an InferenceSession: records which path was called."""

    def __init__(self, providers, binding=None):
        self._providers, self.calls = providers, []
        if binding is not None:
            self._sess = binding

    def get_providers(self):
        return self._providers

    def run(self, names, feed):
        self.calls.append(("public", names))
        return ["public"]


class _Binding:
    def __init__(self):
        self.calls = []

    def run(self, names, feed, run_options):
        self.calls.append(names)
        return ["binding"]


def test_cpu_session_goes_straight_to_the_binding():
    binding = _Binding()
    run = direct_run(_PublicOnly(["CPUExecutionProvider"], binding), ("y", "state"))
    assert run({"x": 1}) == ["binding"] and binding.calls == [["y", "state"]]


@pytest.mark.parametrize("providers", [["CUDAExecutionProvider", "CPUExecutionProvider"],
                                       ["CoreMLExecutionProvider", "CPUExecutionProvider"]])
def test_other_providers_keep_the_public_run(providers):
    session = _PublicOnly(providers, _Binding())
    assert direct_run(session, ("y",))({"x": 1}) == ["public"]


def test_a_build_without_the_binding_keeps_the_public_run():
    session = _PublicOnly(["CPUExecutionProvider"])
    assert direct_run(session, ("y",))({"x": 1}) == ["public"] and session.calls


def test_real_session_outputs_equal_the_public_run(tmp_path):
    from models.demo.onnx import build_demo_onnx

    path = dict(build_demo_onnx(tmp_path, None))["ONNX convnet"]
    session = get_runtime("onnxruntime").open_session(path, OnnxLoadOptions(n_threads=1))
    try:
        image = np.random.default_rng(3).standard_normal((2, 3, 64, 64)).astype(np.float32)
        expected = session.ort_session.run(None, {"image": image})
        session.ort_session.run = None  # the binding path must not need the wrapper
        done = list(session.run(TensorRequest({"image": image})))[-1]
        assert isinstance(done, Done), done
        for name, value in zip(session.output_names, expected, strict=True):
            np.testing.assert_array_equal(done.result[name], value)
    finally:
        session.close()
