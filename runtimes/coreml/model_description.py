"""What a Core ML model is, read from its spec alone (works on every OS):
inputs, outputs, model type, ops, compute precision, versions, metadata."""

from __future__ import annotations

from collections import Counter
from typing import Any

from runtimes.coreml.features import describe_feature
from runtimes.coreml.package_check import CoreMLFile
from runtimes.coreml.program_ops import iter_models, iter_operations, sub_models

# specificationVersion -> the OS releases that first run it (coremltools' table).
DEPLOYMENT_TARGETS = {
    1: "iOS 11 / macOS 10.13", 2: "iOS 11.2 / macOS 10.13.2", 3: "iOS 12 / macOS 10.14",
    4: "iOS 13 / macOS 10.15", 5: "iOS 14 / macOS 11", 6: "iOS 15 / macOS 12",
    7: "iOS 16 / macOS 13", 8: "iOS 17 / macOS 14", 9: "iOS 18 / macOS 15", 10: "iOS 26 / macOS 26",
}
_NEURAL_NETWORKS = ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor")
# Ops that hold or convert data rather than compute: left out of the precision verdict.
_DATA_OPS = ("const", "cast")
_FLOAT_TYPES = {"FLOAT16": "float16", "BFLOAT16": "bfloat16", "FLOAT32": "float32", "FLOAT64": "float64"}


def describe(model: CoreMLFile) -> dict[str, Any]:
    spec = model.spec
    kind = spec.WhichOneof("Type")
    info: dict[str, Any] = {
        "path": str(model.path),
        "format": model.path.suffix.lower().lstrip("."),
        "size_bytes": model.size_bytes,
        "model_type": kind,
        "spec_version": spec.specificationVersion,
        "deployment_target": DEPLOYMENT_TARGETS.get(spec.specificationVersion, "newer than this coremltools knows"),
        "inputs": [describe_feature(f) for f in spec.description.input],
        "outputs": [describe_feature(f) for f in spec.description.output],
        "states": [describe_feature(f) for f in spec.description.state],
    }
    if spec.description.predictedFeatureName:
        info["predicted_feature"] = spec.description.predictedFeatureName
    if sub_models(spec):
        info["sub_models"] = [m.WhichOneof("Type") for m in sub_models(spec)]
    ops = Counter(op.type for op in iter_operations(spec))
    layers = Counter(_layer_types(spec))
    info["op_counts"] = dict(ops.most_common()) if ops else dict(layers.most_common())
    info["op_total"] = sum(info["op_counts"].values())
    info["functions"] = _functions(spec)
    info["compute_precision"] = _precision(spec, ops, layers)
    info["metadata"] = _metadata(spec)
    return info


def _layer_types(spec: Any) -> list[str]:
    """Layer kinds of every neural network in ``spec`` (pipelines included)."""
    kinds = []
    for model in iter_models(spec):
        network_kind = model.WhichOneof("Type")
        if network_kind in _NEURAL_NETWORKS:
            kinds += [layer.WhichOneof("layer") for layer in getattr(model, network_kind).layers]
    return kinds


def _functions(spec: Any) -> list[str]:
    """"main (CoreML5)": each ML program function with the opset it runs."""
    return [
        f"{name} ({function.opset})"
        for model in iter_models(spec)
        if model.WhichOneof("Type") == "mlProgram"
        for name, function in model.mlProgram.functions.items()
    ]


def _precision(spec: Any, ops: Counter, layers: Counter) -> str:
    if ops:
        from runtimes.coreml.ct_import import import_coremltools

        data_type = import_coremltools().proto.MIL_pb2.DataType
        found = set()
        for op in iter_operations(spec):
            if op.type in _DATA_OPS or op.type.startswith("constexpr"):
                continue
            for output in op.outputs:
                if output.type.WhichOneof("type") == "tensorType":
                    name = data_type.Name(output.type.tensorType.dataType)
                    if name in _FLOAT_TYPES:
                        found.add(_FLOAT_TYPES[name])
        if not found:
            return "no floating-point compute"
        return found.pop() if len(found) == 1 else "mixed (" + ", ".join(sorted(found)) + ")"
    if layers:
        # A neural network fixes only its weights' type; Core ML computes in
        # float32 on the CPU and float16 on the GPU and Neural Engine.
        return f"chosen by the compute unit (weights: {_weight_precision(spec)})"
    return "not applicable"


def _weight_precision(spec: Any) -> str:
    found = set()
    for model in iter_models(spec):
        network_kind = model.WhichOneof("Type")
        if network_kind in _NEURAL_NETWORKS:
            for layer in getattr(model, network_kind).layers:
                found.update(_weight_kinds(layer))
    return ", ".join(sorted(found)) or "none"


def _weight_kinds(message: Any) -> set[str]:
    from google.protobuf.message import Message

    kinds = set()
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        values = [value] if isinstance(value, Message) else list(value)  # repeated fields are containers
        for item in values:
            if field.message_type.name == "WeightParams":
                if item.HasField("quantization"):
                    kinds.add(f"{item.quantization.numberOfBits}-bit quantized")
                elif item.float16Value:
                    kinds.add("float16")
                elif item.floatValue:
                    kinds.add("float32")
            else:
                kinds |= _weight_kinds(item)
    return kinds


def _metadata(spec: Any) -> dict[str, Any]:
    meta = spec.description.metadata
    fields = {
        "short_description": meta.shortDescription,
        "author": meta.author,
        "license": meta.license,
        "version": meta.versionString,
    }
    # User-defined keys are namespaced ("com.github.apple.coremltools.version"), so one flat dict reads well.
    return {k: v for k, v in fields.items() if v} | dict(sorted(meta.userDefined.items()))
