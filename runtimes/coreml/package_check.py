"""Open a .mlpackage or .mlmodel and check it is whole, before any worker.

An .mlpackage is a folder: Manifest.json names the root model spec (a
protobuf, usually Data/com.apple.CoreML/model.mlmodel), and an ML program
keeps its weights in Data/com.apple.CoreML/weights/weight.bin, which the
spec references by offset. Each missing or cut-short piece gets its own
message naming it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import ModelFileError
from runtimes.coreml.ct_import import model_proto
from runtimes.coreml.program_ops import blob_references

_BLOB_SENTINEL = 0xDEADBEEF  # starts each weight's 64-byte header in weight.bin
_BLOB_HEADER = struct.Struct("<IIQQ")  # sentinel, data type, size in bytes, data offset
_MODEL_PATH = "@model_path/"  # how an ML program spells "the folder of model.mlmodel"


@dataclass
class CoreMLFile:
    path: Path
    spec: Any  # coremltools.proto.Model_pb2.Model
    spec_path: Path  # the protobuf itself (the .mlmodel, or the one inside the package)
    size_bytes: int  # the whole file or package on disk


def open_coreml(path: Path) -> CoreMLFile:
    """Parse and check ``path``; raise ModelFileError naming what is wrong."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(path, "does not exist")
    if path.suffix.lower() == ".mlpackage":
        if not path.is_dir():
            raise ModelFileError(path, "a .mlpackage is a folder, but this is a file")
        spec_path = _root_spec_path(path)
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    else:
        if path.is_dir():
            raise ModelFileError(path, "a .mlmodel is a single file, but this is a folder")
        spec_path, size = path, path.stat().st_size
    spec = _parse_spec(path, spec_path)
    _check_weights(path, spec, spec_path)
    return CoreMLFile(path, spec, spec_path, size)


def _root_spec_path(package: Path) -> Path:
    manifest_path = package / "Manifest.json"
    if not manifest_path.is_file():
        raise ModelFileError(package, "not a complete Core ML package: Manifest.json is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        root = manifest["itemInfoEntries"][manifest["rootModelIdentifier"]]
        relative = root["path"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(package, f"Manifest.json is not readable JSON ({exc})") from exc
    except (KeyError, TypeError):
        raise ModelFileError(
            package, "Manifest.json names no root model (rootModelIdentifier with an itemInfoEntries path)"
        ) from None
    spec_path = package / "Data" / relative
    if not spec_path.is_file():
        raise ModelFileError(package, f"the model spec Data/{relative} that Manifest.json names is missing")
    return spec_path


def _parse_spec(path: Path, spec_path: Path) -> Any:
    from google.protobuf.message import DecodeError

    data = spec_path.read_bytes()
    where = "the model spec" if spec_path != path else "the file"
    if not data:
        raise ModelFileError(path, f"{where} is empty")
    spec = model_proto().Model()
    try:
        spec.ParseFromString(data)
    except DecodeError as exc:
        raise ModelFileError(path, f"{where} is not a Core ML model spec: truncated or corrupt ({exc})") from exc
    if spec.WhichOneof("Type") is None or spec.specificationVersion == 0:
        # Cut at a field boundary, protobuf parses cleanly but the model is gone.
        raise ModelFileError(path, f"{where} holds no model (truncated or not a Core ML model)")
    return spec


def _check_weights(path: Path, spec: Any, spec_path: Path) -> None:
    folder = spec_path.parent
    sizes: dict[str, int] = {}
    for file_name, offset in blob_references(spec):
        relative = file_name.removeprefix(_MODEL_PATH)
        if relative not in sizes:
            weights = folder / relative
            if not weights.is_file():
                hint = " (an ML program saved as a lone .mlmodel loses its weights; use the .mlpackage)"
                lone = hint if path.suffix.lower() == ".mlmodel" else ""
                raise ModelFileError(path, f"the weights file {relative} is missing{lone}")
            sizes[relative] = weights.stat().st_size
        _check_blob(path, folder / relative, relative, offset, sizes[relative])


def _check_blob(path: Path, weights: Path, relative: str, offset: int, file_size: int) -> None:
    if offset + _BLOB_HEADER.size > file_size:
        raise ModelFileError(
            path, f"the weights file {relative} is truncated: {file_size} bytes, a weight starts at {offset}"
        )
    with weights.open("rb") as f:
        f.seek(offset)
        sentinel, _dtype, size, data_offset = _BLOB_HEADER.unpack(f.read(_BLOB_HEADER.size))
    if sentinel != _BLOB_SENTINEL:
        raise ModelFileError(path, f"the weights file {relative} is corrupt: no weight header at offset {offset}")
    if data_offset + size > file_size:
        raise ModelFileError(
            path, f"the weights file {relative} is truncated: {file_size} bytes, a weight ends at {data_offset + size}"
        )
