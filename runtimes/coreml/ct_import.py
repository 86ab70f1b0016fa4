"""coremltools for the runtime: imported lazily and quietly (see
models.tensor.coremltools_import), its version read without importing it."""

from __future__ import annotations

from types import ModuleType

from models.tensor.coremltools_import import INSTALL_HINT, import_coremltools

__all__ = ["INSTALL_HINT", "import_coremltools", "coremltools_version", "model_proto"]


def coremltools_version() -> str | None:
    """The installed version, None when coremltools is missing.

    Read from package metadata without importing (cheap); a frozen bundle may
    carry the package without its metadata, and then the import tells.
    """
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        return version("coremltools")
    except PackageNotFoundError:
        if find_spec("coremltools") is None:
            return None
    return import_coremltools().__version__


def model_proto() -> ModuleType:
    """coremltools' generated protobuf module for the Core ML model spec."""
    return import_coremltools().proto.Model_pb2
