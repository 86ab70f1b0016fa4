"""Turn models into Core ML packages with coremltools; works on every OS.

Two sources: a program written with the MIL builder (no torch needed), and a
PyTorch module, traced with torch.jit.trace where torch is installed.
coremltools is imported lazily: it costs ~0.6 s and only these paths need it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from models.errors import ConversionError
from models.tensor.coremltools_import import import_coremltools

PRECISIONS = ("float16", "float32")  # float16 is what the GPU and Neural Engine compute in


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """coremltools draws a tqdm bar per pass pipeline on stderr; keep it out of the CLI's output."""
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def _precision(ct: Any, precision: str) -> Any:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    return ct.precision.FLOAT16 if precision == "float16" else ct.precision.FLOAT32


def save_mil_program(program: Any, out_path: Path, precision: str = "float16", **metadata: str) -> Path:
    """Convert a MIL builder program (``@mb.program``) to an ML program package at ``out_path``."""
    ct = import_coremltools()
    compute_precision = _precision(ct, precision)
    try:
        with _quiet():
            model = ct.convert(program, convert_to="mlprogram", compute_precision=compute_precision)
    except (ValueError, TypeError, NotImplementedError, RuntimeError) as exc:
        raise ConversionError(f"coremltools could not convert the MIL program: {exc}") from exc
    return _save(model, out_path, metadata)


def convert_torch_module(
    module: Any,
    example_inputs: Sequence[Any],
    out_path: Path,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    precision: str = "float16",
    **metadata: str,
) -> Path:
    """Trace ``module`` on ``example_inputs`` (torch tensors) and convert it to an ML program package."""
    try:
        import torch
    except ImportError as exc:
        raise ConversionError(f"converting a PyTorch module needs torch ({exc}); pip install torch") from exc
    ct = import_coremltools()
    compute_precision = _precision(ct, precision)
    names = list(input_names or [f"input_{i}" for i in range(len(example_inputs))])
    if len(names) != len(example_inputs):
        raise ValueError(f"{len(names)} input names for {len(example_inputs)} example inputs")
    with torch.no_grad():
        traced = torch.jit.trace(module.eval(), tuple(example_inputs))
    inputs = [ct.TensorType(name=n, shape=tuple(x.shape)) for n, x in zip(names, example_inputs, strict=True)]
    outputs = [ct.TensorType(name=n) for n in output_names] if output_names else None
    try:
        with _quiet():
            model = ct.convert(
                traced,
                inputs=inputs,
                outputs=outputs,
                convert_to="mlprogram",
                compute_precision=compute_precision,
            )
    except (ValueError, TypeError, NotImplementedError, RuntimeError) as exc:
        raise ConversionError(f"coremltools could not convert the traced module: {exc}") from exc
    return _save(model, out_path, metadata)


def _save(model: Any, out_path: Path, metadata: dict[str, str]) -> Path:
    out_path = Path(out_path)
    if out_path.suffix != ".mlpackage":
        raise ValueError(f"an ML program is saved as a .mlpackage folder, not {out_path.name!r}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    for key, value in metadata.items():
        if key == "short_description":
            model.short_description = value
        else:
            model.user_defined_metadata[key] = value
    model.save(str(out_path))
    return out_path
