"""A model's tensor signatures and the arrays fed to them.

Inputs the caller leaves out are made up ("random" or "zeros"); dimensions
the model leaves open (``batch``, ``None``) become 1. Arrays the caller gives
are checked against the signature, so a wrong name, dtype or shape is one
clear line instead of onnxruntime's INVALID_ARGUMENT paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from runtimes.errors import TensorInputError

# onnxruntime's type strings -> numpy dtypes.
ORT_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int8)": np.int8,
    "tensor(int16)": np.int16,
    "tensor(int32)": np.int32,
    "tensor(int64)": np.int64,
    "tensor(uint8)": np.uint8,
    "tensor(uint16)": np.uint16,
    "tensor(uint32)": np.uint32,
    "tensor(uint64)": np.uint64,
    "tensor(bool)": np.bool_,
    "tensor(string)": np.str_,
}
FILLS = ("random", "zeros")


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int | str | None, ...]  # str: a named dynamic dim; None: unnamed dynamic dim
    ort_type: str  # e.g. "tensor(float)"

    @cached_property  # checked on every request: computed once
    def dtype(self) -> np.dtype | None:
        numpy_type = ORT_DTYPES.get(self.ort_type)
        return np.dtype(numpy_type) if numpy_type is not None else None

    @cached_property
    def fixed_dims(self) -> tuple[tuple[int, int], ...]:
        """(axis, size) of every dimension the model fixes."""
        return tuple((axis, d) for axis, d in enumerate(self.shape) if isinstance(d, int) and d >= 0)

    @property
    def dtype_name(self) -> str:
        dtype = self.dtype
        return ("string" if dtype.kind == "U" else dtype.name) if dtype is not None else self.ort_type

    def shape_text(self) -> str:
        return "[" + ", ".join("?" if d is None else str(d) for d in self.shape) + "]"

    def concrete_shape(self) -> tuple[int, ...]:
        """Fixed dims as they are, open ones as 1."""
        return tuple(d if isinstance(d, int) and d >= 0 else 1 for d in self.shape)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype_name}


def specs_of(nodes: list[Any]) -> list[TensorSpec]:
    """TensorSpecs from onnxruntime's NodeArg list (get_inputs/get_outputs)."""
    return [TensorSpec(n.name, tuple(n.shape) if n.shape is not None else (), n.type) for n in nodes]


def made_up(spec: TensorSpec, fill: str, rng: np.random.Generator) -> np.ndarray:
    """An array for ``spec``: zeros, or random values suited to its dtype."""
    dtype = spec.dtype
    if dtype is None or dtype.kind == "U":
        raise TensorInputError(f"input {spec.name!r} is {spec.ort_type}; give it as a .npy file")
    shape = spec.concrete_shape()
    if fill == "zeros":
        return np.zeros(shape, dtype)
    if fill != "random":
        raise TensorInputError(f"unknown fill {fill!r}; choose from {', '.join(FILLS)}")
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(dtype)
    # Small non-negative integers: safe as indices, token ids and lengths.
    return rng.integers(0, 10, shape).astype(dtype)


def check_array(spec: TensorSpec, array: Any) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        raise TensorInputError(f"input {spec.name!r} must be a numpy array, got {type(array).__name__}")
    expected = spec.dtype
    if expected is not None and array.dtype != expected and not (expected.kind == array.dtype.kind == "U"):
        raise TensorInputError(f"input {spec.name!r} expects {spec.dtype_name}, the array is {array.dtype.name}")
    if array.ndim != len(spec.shape):
        raise TensorInputError(
            f"input {spec.name!r} expects {len(spec.shape)} dimensions {spec.shape_text()}, "
            f"the array has {array.ndim}: {list(array.shape)}"
        )
    shape = array.shape
    for axis, want in spec.fixed_dims:
        if shape[axis] != want:
            raise TensorInputError(
                f"input {spec.name!r} expects shape {spec.shape_text()}, the array is {list(shape)} "
                f"(axis {axis} must be {want})"
            )
    return array


FastCheck = tuple[tuple[str, np.dtype | None, int, tuple[tuple[int, int], ...]], ...]


def fast_checks(specs: list[TensorSpec]) -> FastCheck:
    """What ``matches`` compares, computed once per session."""
    return tuple((s.name, s.dtype, len(s.shape), s.fixed_dims) for s in specs)


def matches(checks: FastCheck, given: dict[str, Any]) -> bool:
    """Whether ``given`` is a complete, valid feed: a few attribute compares
    per input, because on a 0.1 ms model every microsecond is 1%. False sends
    the caller to build_feed, which fills gaps or says what is wrong."""
    if len(given) != len(checks):
        return False
    for name, dtype, ndim, fixed in checks:
        array = given.get(name)
        if array is None or getattr(array, "dtype", None) != dtype or array.ndim != ndim:
            return False
        shape = array.shape
        for axis, size in fixed:
            if shape[axis] != size:
                return False
    return True


def build_feed(specs: list[TensorSpec], given: dict[str, Any], fill: str, seed: int) -> dict[str, np.ndarray]:
    """The complete input dict: given arrays checked, the rest made up."""
    names = [s.name for s in specs]
    unknown = [name for name in given if name not in names]
    if unknown:
        raise TensorInputError(f"the model has no input {unknown[0]!r}; its inputs: {', '.join(names)}")
    feed = {s.name: check_array(s, given[s.name]) for s in specs if s.name in given}
    rng = np.random.default_rng(seed)  # costs ~10 µs: only made when something is made up
    feed.update((s.name, made_up(s, fill, rng)) for s in specs if s.name not in given)
    return {s.name: feed[s.name] for s in specs}
