"""Core ML feature descriptions (inputs, outputs, states) as plain dicts.

Used by inspection (every OS) and by the input filler (macOS predictions),
so both agree on a feature's default shape and data type.
"""

from __future__ import annotations

from typing import Any

# ArrayFeatureType.ArrayDataType enum value -> numpy dtype name.
ARRAY_DTYPES = {65568: "float32", 65552: "float16", 65600: "float64", 131104: "int32", 131080: "int8"}


def feature_kind(feature: Any) -> str:
    """"multiArray", "image", "int64", "double", "string", "dictionary", "sequence" or "state"."""
    kind = feature.type.WhichOneof("Type")
    return kind.removesuffix("Type") if kind else "unknown"


def array_dtype(array_type: Any) -> str:
    return ARRAY_DTYPES.get(array_type.dataType, f"unknown data type {array_type.dataType}")


def default_shape(array_type: Any) -> tuple[int, ...]:
    """The shape Core ML uses when the caller gives none: the declared default
    shape, else the first enumerated shape, else each range's lower bound."""
    if array_type.shape:
        return tuple(array_type.shape)
    enumerated = array_type.WhichOneof("ShapeFlexibility")
    if enumerated == "enumeratedShapes" and array_type.enumeratedShapes.shapes:
        return tuple(array_type.enumeratedShapes.shapes[0].shape)
    if enumerated == "shapeRange":
        return tuple(max(r.lowerBound, 1) for r in array_type.shapeRange.sizeRanges)
    return ()


def image_size(image_type: Any) -> tuple[int, int]:
    """(height, width) of an image feature, flexible sizes taken at their first/smallest."""
    if image_type.width and image_type.height:
        return image_type.height, image_type.width
    which = image_type.WhichOneof("SizeFlexibility")
    if which == "enumeratedSizes" and image_type.enumeratedSizes.sizes:
        size = image_type.enumeratedSizes.sizes[0]
        return size.height, size.width
    if which == "imageSizeRange":
        ranges = image_type.imageSizeRange
        return max(ranges.heightRange.lowerBound, 1), max(ranges.widthRange.lowerBound, 1)
    return 0, 0


def _flexibility(array_type: Any) -> str | list:
    which = array_type.WhichOneof("ShapeFlexibility")
    if which == "enumeratedShapes":
        return [list(s.shape) for s in array_type.enumeratedShapes.shapes]
    if which == "shapeRange":
        return [[r.lowerBound, r.upperBound if r.upperBound >= 0 else None] for r in array_type.shapeRange.sizeRanges]
    return "fixed"


def describe_feature(feature: Any) -> dict[str, Any]:
    kind = feature_kind(feature)
    info: dict[str, Any] = {"name": feature.name, "kind": kind}
    ftype = feature.type
    if kind == "multiArray":
        array = ftype.multiArrayType
        info.update(dtype=array_dtype(array), shape=list(default_shape(array)), shapes=_flexibility(array))
    elif kind == "state":
        array = ftype.stateType.arrayType
        info.update(dtype=array_dtype(array), shape=list(array.shape))
    elif kind == "image":
        image = ftype.imageType
        space = type(image).ColorSpace.Name(image.colorSpace)
        flexible = image.WhichOneof("SizeFlexibility") is not None
        info.update(dtype=space, shape=list(image_size(image)), shapes="flexible" if flexible else "fixed")
    elif kind == "dictionary":
        info["key_type"] = ftype.dictionaryType.WhichOneof("KeyType")
    elif kind == "sequence":
        info["element_type"] = ftype.sequenceType.WhichOneof("Type")
    info["optional"] = bool(ftype.isOptional)
    if feature.shortDescription:
        info["description"] = feature.shortDescription
    return info


def format_feature(info: dict[str, Any]) -> str:
    """One line, e.g. "x: multiArray float32 [1, 8]"."""
    parts = [f"{info['name']}: {info['kind']}"]
    if "dtype" in info:
        parts.append(info["dtype"])
    if "shape" in info:
        parts.append(str(info["shape"]))
    if isinstance(info.get("shapes"), list):
        parts.append(f"(flexible: {info['shapes']})")
    if info.get("optional"):
        parts.append("(optional)")
    return " ".join(parts)
