"""Inputs for a Core ML prediction: the caller's arrays checked against the
spec, the rest filled with random values or zeros in the declared type."""

from __future__ import annotations

from typing import Any

import numpy as np

from runtimes.coreml.features import array_dtype, default_shape, feature_kind, image_size
from runtimes.errors import BadInput
from runtimes.requests import TensorRequest

FILLS = ("random", "zeros")


def make_inputs(spec: Any, request: TensorRequest) -> dict[str, Any]:
    if request.fill not in FILLS:
        raise BadInput(f"unknown fill {request.fill!r}; choose from {', '.join(FILLS)}")
    features = {f.name: f for f in spec.description.input}
    unknown = sorted(set(request.inputs) - set(features))
    if unknown:
        raise BadInput(f"unknown input {', '.join(map(repr, unknown))}; the model's inputs: {', '.join(features)}")
    rng = np.random.default_rng(request.seed)
    inputs = {}
    for name, feature in features.items():
        if name in request.inputs:
            inputs[name] = _given(feature, request.inputs[name])
        elif not feature.type.isOptional:
            inputs[name] = _filled(feature, request.fill, rng)
    return inputs


def _given(feature: Any, value: Any) -> Any:
    kind = feature_kind(feature)
    if kind == "image" and isinstance(value, np.ndarray):
        return _image_from_array(feature, value)  # e.g. from a .npy file: Core ML takes PIL images
    if kind != "multiArray":
        return value  # images, scalars, strings, dicts go to Core ML as given
    array_type = feature.type.multiArrayType
    array = np.asarray(value, dtype=array_dtype(array_type))
    allowed = _allowed_shape(array_type, array.shape)
    if allowed:
        raise BadInput(f"input {feature.name!r} has shape {list(array.shape)}, but the model takes {allowed}")
    return array


def _allowed_shape(array_type: Any, shape: tuple[int, ...]) -> str:
    """"" when ``shape`` fits the feature, else what would."""
    which = array_type.WhichOneof("ShapeFlexibility")
    if which == "enumeratedShapes":
        shapes = [tuple(s.shape) for s in array_type.enumeratedShapes.shapes]
        return "" if shape in shapes else f"one of {[list(s) for s in shapes]}"
    if which == "shapeRange":
        ranges = [(r.lowerBound, r.upperBound) for r in array_type.shapeRange.sizeRanges]
        fits = len(shape) == len(ranges) and all(
            low <= n and (high < 0 or n <= high) for n, (low, high) in zip(shape, ranges, strict=True)
        )
        return "" if fits else f"sizes within {[[lo, hi if hi >= 0 else None] for lo, hi in ranges]}"
    expected = tuple(array_type.shape)
    return "" if not expected or shape == expected else str(list(expected))


def _filled(feature: Any, fill: str, rng: np.random.Generator) -> Any:
    kind = feature_kind(feature)
    if kind == "multiArray":
        array_type = feature.type.multiArrayType
        return _array(default_shape(array_type), array_dtype(array_type), fill, rng)
    if kind == "image":
        return _image(feature, fill, rng)
    if kind == "int64":
        return 0 if fill == "zeros" else int(rng.integers(0, 10))
    if kind == "double":
        return 0.0 if fill == "zeros" else float(rng.standard_normal())
    raise BadInput(f"input {feature.name!r} is a {kind}, which cannot be filled automatically; give it explicitly")


def _array(shape: tuple[int, ...], dtype: str, fill: str, rng: np.random.Generator) -> np.ndarray:
    if fill == "zeros":
        return np.zeros(shape, dtype=dtype)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return rng.integers(0, 10, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _image_layout(feature: Any) -> tuple[tuple[int, ...], str]:
    """(pixel array shape, numpy dtype) of an image feature; from these Pillow
    makes the mode Core ML expects ("F", "L" or "RGB")."""
    height, width = image_size(feature.type.imageType)
    space = type(feature.type.imageType).ColorSpace.Name(feature.type.imageType.colorSpace)
    if space == "GRAYSCALE_FLOAT16":  # coremltools takes these as 32-bit float ("F") images
        return (height, width), "float32"
    if space == "GRAYSCALE":
        return (height, width), "uint8"
    return (height, width, 3), "uint8"  # RGB and BGR: Core ML swaps channels itself


def _pil(feature: Any) -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise BadInput(f"input {feature.name!r} is an image, which needs Pillow (pip install pillow)") from None
    return Image


def _image_from_array(feature: Any, array: np.ndarray) -> Any:
    shape, dtype = _image_layout(feature)
    if array.shape != shape:
        raise BadInput(f"image input {feature.name!r} needs pixels of shape {list(shape)}, got {list(array.shape)}")
    return _pil(feature).fromarray(np.asarray(array, dtype=dtype))


def _image(feature: Any, fill: str, rng: np.random.Generator) -> Any:
    shape, dtype = _image_layout(feature)
    if fill == "zeros":
        pixels = np.zeros(shape, dtype)
    elif dtype == "float32":
        pixels = rng.random(shape, np.float32)
    else:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    return _pil(feature).fromarray(pixels)
