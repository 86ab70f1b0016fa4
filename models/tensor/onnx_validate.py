"""Check an ONNX file before onnxruntime sees it.

onnxruntime reports a truncated file as "Protobuf parsing failed" and a too
new opset with a paragraph of C++ context; in a worker process the user would
only see that second-hand. Parsing with the ``onnx`` package in the parent
gives one clear line per problem: not a file, empty, truncated or corrupt,
opset or IR version newer than this install knows, external data missing,
graph rejected by the ONNX checker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.errors import ModelFileError

INSTALL_HINT = "pip install 'onnx>=1.16,<2'"


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ModelFileError("onnx", f"the onnx package is not installed ({exc}); {INSTALL_HINT}") from exc
    return onnx


def supported_opsets() -> dict[str, int]:
    """Highest opset per domain this install's onnx knows ("" is ai.onnx)."""
    from onnx.onnx_cpp2py_export import defs

    return {domain: high for domain, (_low, high) in defs.schema_version_map().items()}


def load_onnx_proto(path: Path) -> Any:
    """The model's protobuf (weights stored outside the file are not read)."""
    onnx = _import_onnx()
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(path, "is a folder, not an ONNX file")
    if not path.is_file():
        raise ModelFileError(path, "no such file")
    if path.stat().st_size == 0:
        raise ModelFileError(path, "the file is empty")
    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError and friends: truncated or not ONNX at all
        raise ModelFileError(path, f"not a valid ONNX model: the file is truncated or corrupt ({exc})") from exc


def check_opsets(path: Path, proto: Any) -> None:
    onnx = _import_onnx()
    known = supported_opsets()
    for opset in proto.opset_import:
        domain = opset.domain or ""
        high = known.get("" if domain == "ai.onnx" else domain)
        if high is not None and opset.version > high:
            name = domain or "ai.onnx"
            raise ModelFileError(
                path,
                f"unsupported opset: the model needs {name} opset {opset.version}, but this install "
                f"(onnx {onnx.__version__}) supports up to opset {high}; upgrade onnx and onnxruntime",
            )
    if proto.ir_version > onnx.IR_VERSION:
        raise ModelFileError(
            path,
            f"unsupported IR version {proto.ir_version}: this install (onnx {onnx.__version__}) reads up to "
            f"IR version {onnx.IR_VERSION}; upgrade onnx and onnxruntime",
        )


def external_data_files(proto: Any) -> set[str]:
    """Files the initializers keep their weights in (relative to the model)."""
    files = set()
    for tensor in proto.graph.initializer:
        if tensor.data_location == 1:  # TensorProto.EXTERNAL
            entries = {entry.key: entry.value for entry in tensor.external_data}
            if "location" in entries:
                files.add(entries["location"])
    return files


def check_external_data(path: Path, proto: Any) -> None:
    for name in sorted(external_data_files(proto)):
        if not (path.parent / name).is_file():
            raise ModelFileError(path, f"its weights live in {name!r} next to it, and that file is missing")


def validate_onnx(path: Path) -> Any:
    """Raise ModelFileError naming the problem; return the parsed protobuf."""
    onnx = _import_onnx()
    path = Path(path)
    proto = load_onnx_proto(path)
    if not proto.HasField("graph") or not proto.opset_import:
        raise ModelFileError(path, "not an ONNX model: no graph or no opset (truncated, or another protobuf)")
    check_opsets(path, proto)
    check_external_data(path, proto)
    try:
        # Given the path, the checker finds external weights next to the model; given the proto, it cannot.
        onnx.checker.check_model(str(path) if external_data_files(proto) else proto)
    except onnx.checker.ValidationError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(path, f"the ONNX checker rejects the graph: {first_line}") from exc
    return proto
