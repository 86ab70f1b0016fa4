"""Small ONNX demo models, built with the ``onnx`` helper API (no download,
no torch): an MLP with a dynamic batch dimension and a small convnet.

Weights are seeded random numbers: the models exist to load, inspect, run
and benchmark, not to predict anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.demo.catalog import Progress

OPSET = 17  # old enough for every onnxruntime since 1.14
IR_VERSION = 8
PRODUCER = "workbench demo-models"


def _weights(rng: np.random.Generator, name: str, shape: tuple[int, ...], fan_in: int) -> Any:
    from onnx import numpy_helper

    values = rng.standard_normal(shape).astype(np.float32) * np.float32(np.sqrt(2.0 / fan_in))
    return numpy_helper.from_array(values, name)


def _model(graph: Any, doc: str) -> Any:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=PRODUCER,
                              doc_string=doc)
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def mlp_model(seed: int = 0, width: int = 256, n_in: int = 64, n_out: int = 10) -> Any:
    """features [batch, 64] -> Gemm/Relu x2 -> Gemm -> Softmax -> probabilities [batch, 10]."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    sizes = [(n_in, width), (width, width), (width, n_out)]
    weights, nodes, x = [], [], "features"
    for i, (fan_in, fan_out) in enumerate(sizes):
        weights += [_weights(rng, f"w{i}", (fan_in, fan_out), fan_in),
                    helper.make_tensor(f"b{i}", TensorProto.FLOAT, (fan_out,), np.zeros(fan_out, np.float32))]
        nodes.append(helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [f"h{i}"], name=f"dense{i}"))
        x = f"h{i}"
        if i < len(sizes) - 1:
            nodes.append(helper.make_node("Relu", [x], [f"a{i}"], name=f"relu{i}"))
            x = f"a{i}"
    nodes.append(helper.make_node("Softmax", [x], ["probabilities"], axis=-1, name="softmax"))
    graph = helper.make_graph(
        nodes, "workbench_mlp",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_in])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", n_out])],
        weights,
    )
    return _model(graph, "Demo MLP: 64 features to 10 class probabilities; dynamic batch.")


def convnet_model(seed: int = 0, size: int = 64, n_out: int = 10) -> Any:
    """image [batch, 3, 64, 64] -> Conv/Relu/MaxPool -> Conv/Relu -> GlobalAveragePool -> Gemm -> logits."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    weights = [
        _weights(rng, "conv1.w", (16, 3, 3, 3), 27),
        helper.make_tensor("conv1.b", TensorProto.FLOAT, (16,), np.zeros(16, np.float32)),
        _weights(rng, "conv2.w", (32, 16, 3, 3), 144),
        helper.make_tensor("conv2.b", TensorProto.FLOAT, (32,), np.zeros(32, np.float32)),
        _weights(rng, "fc.w", (32, n_out), 32),
        helper.make_tensor("fc.b", TensorProto.FLOAT, (n_out,), np.zeros(n_out, np.float32)),
    ]
    conv = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}
    nodes = [
        helper.make_node("Conv", ["image", "conv1.w", "conv1.b"], ["c1"], name="conv1", **conv),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        helper.make_node("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], name="conv2", **conv),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "workbench_convnet",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_out])],
        weights,
    )
    return _model(graph, f"Demo convnet: a 3x{size}x{size} image to {n_out} logits; dynamic batch.")


DEMO_MODELS = (
    ("ONNX MLP", "workbench-mlp.onnx", mlp_model),
    ("ONNX convnet", "workbench-convnet.onnx", convnet_model),
)


def build_demo_onnx(out_dir: Path, progress: Progress = None) -> list[tuple[str, Path]]:
    """Write the demo ONNX models into ``out_dir``; (label, path) per file."""
    import onnx

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for index, (label, filename, build) in enumerate(DEMO_MODELS):
        if progress:
            progress(index, len(DEMO_MODELS), filename)
        path = out_dir / filename
        onnx.save(build(), str(path))
        written.append((label, path))
    if progress:
        progress(len(DEMO_MODELS), len(DEMO_MODELS), "done")
    return written
