"""Static facts about an ONNX file, read with the ``onnx`` package (no session)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from models.tensor.onnx_validate import external_data_files, validate_onnx

SILERO_INPUTS = ("input", "state", "sr")


def _dim(dim: Any) -> int | str | None:
    if dim.HasField("dim_value"):
        return dim.dim_value
    if dim.HasField("dim_param"):
        return dim.dim_param
    return None


def _value_info(value: Any) -> dict[str, Any]:
    import onnx

    kind = value.type.WhichOneof("value")
    if kind != "tensor_type":
        return {"name": value.name, "shape": [], "dtype": kind.removesuffix("_type") if kind else "unknown"}
    tensor = value.type.tensor_type
    try:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
    except (KeyError, ValueError, TypeError):
        dtype = onnx.TensorProto.DataType.Name(tensor.elem_type).lower()
    shape = [_dim(d) for d in tensor.shape.dim] if tensor.HasField("shape") else []
    return {"name": value.name, "shape": shape, "dtype": dtype}


def _count(tensor: Any) -> int:
    n = 1
    for d in tensor.dims:
        n *= d
    return n


def _graphs(graph: Any) -> Any:
    """``graph`` and every subgraph (If/Loop/Scan bodies) inside it."""
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            for sub in ([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs):
                yield from _graphs(sub)


def _parameter_count(graph: Any) -> int:
    """Weights as initializers or as Constant nodes (exporters use both), subgraphs included."""
    total = 0
    for g in _graphs(graph):
        total += sum(_count(t) for t in g.initializer)
        for node in g.node:
            if node.op_type == "Constant":
                total += sum(_count(a.t) for a in node.attribute if a.HasField("t"))
    return total


def describe_onnx(path: Path) -> dict[str, Any]:
    path = Path(path)
    proto = validate_onnx(path)
    graph = proto.graph
    weights = {t.name for t in graph.initializer}
    inputs = [_value_info(v) for v in graph.input if v.name not in weights]  # IR < 4 lists weights as inputs
    ops = Counter(node.op_type for g in _graphs(graph) for node in g.node)
    external = sorted(external_data_files(proto))
    size = path.stat().st_size + sum((path.parent / f).stat().st_size for f in external)
    return {
        "path": str(path),
        "format": "onnx",
        "kind": "silero-vad" if tuple(v["name"] for v in inputs) == SILERO_INPUTS else "tensor",
        "size_bytes": size,
        "ir_version": proto.ir_version,
        "opsets": {(o.domain or "ai.onnx"): o.version for o in proto.opset_import},
        "producer": " ".join(p for p in (proto.producer_name, proto.producer_version) if p) or "unknown",
        "model_version": proto.model_version,
        "graph_name": graph.name,
        "doc": proto.doc_string.strip()[:300],
        "inputs": inputs,
        "outputs": [_value_info(v) for v in graph.output],
        "n_nodes": sum(ops.values()),  # subgraphs included
        "ops": dict(ops.most_common()),
        "n_parameters": _parameter_count(graph),
        "external_data": external,
        "metadata": {p.key: p.value for p in proto.metadata_props},
    }

