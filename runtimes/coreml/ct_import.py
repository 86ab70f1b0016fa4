"""coremltools for the runtime: imported lazily and quietly (see
models.coremltools_import), its version read without importing it."""

from __future__ import annotations

from types import ModuleType

from models.coremltools_import import INSTALL_HINT, import_coremltools

__all__ = ["INSTALL_HINT", "import_coremltools", "coremltools_version", "model_proto"]


def coremltools_version() -> str | None:
    """The installed version without importing the package (cheap)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coremltools")
    except PackageNotFoundError:
        return None


def model_proto() -> ModuleType:
    """coremltools' generated protobuf module for the Core ML model spec."""
    return import_coremltools().proto.Model_pb2
