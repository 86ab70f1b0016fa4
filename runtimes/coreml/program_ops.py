"""Walk the models inside a spec (pipelines nest them) and the operations of
its ML programs, nested blocks included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_PIPELINE_KINDS = ("pipeline", "pipelineClassifier", "pipelineRegressor")


def sub_models(spec: Any) -> list[Any]:
    """The models a pipeline spec chains, in order; [] for any other spec."""
    kind = spec.WhichOneof("Type")
    if kind == "pipeline":
        return list(spec.pipeline.models)
    if kind in _PIPELINE_KINDS:
        return list(getattr(spec, kind).pipeline.models)
    return []


def iter_models(spec: Any) -> Iterator[Any]:
    """``spec`` and every model nested in it, depth first."""
    yield spec
    for model in sub_models(spec):
        yield from iter_models(model)


def iter_operations(spec: Any) -> Iterator[Any]:
    """Every MIL operation of every ML program in ``spec``, depth first.

    Each function is taken in its own opset's specialization (the one Core ML
    runs); control flow (cond, while_loop) nests blocks inside operations.
    """
    for model in iter_models(spec):
        if model.WhichOneof("Type") != "mlProgram":
            continue
        for function in model.mlProgram.functions.values():
            block = function.block_specializations.get(function.opset)
            if block is not None:
                yield from _walk(block)


def _walk(block: Any) -> Iterator[Any]:
    for op in block.operations:
        yield op
        for inner in op.blocks:
            yield from _walk(inner)


def blob_references(spec: Any) -> Iterator[tuple[str, int]]:
    """(fileName, offset) of every weight an ML program keeps outside the spec."""
    for op in iter_operations(spec):
        for value in op.attributes.values():
            if value.WhichOneof("value") == "blobFileValue":
                yield value.blobFileValue.fileName, value.blobFileValue.offset
