"""onnxruntime's exceptions as one readable line."""

from __future__ import annotations

import re

_ORT_PREFIX = re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ")
_OPSET_LIMIT = re.compile(r"Opset (\d+) is under development.*?till opset (\d+)", re.S)


def ort_message(exc: BaseException) -> str:
    """The text without onnxruntime's code prefix, joined onto one line; an
    opset it does not support is named as such."""
    text = _ORT_PREFIX.sub("", str(exc).strip())
    opset = _OPSET_LIMIT.search(text)
    if opset:
        return f"unsupported opset {opset[1]}: this onnxruntime supports up to opset {opset[2]}"
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
