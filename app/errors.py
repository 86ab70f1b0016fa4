"""Every error the app layer raises, each a WorkbenchError (models/errors.py
holds the root). Kept in one module so the hierarchy reads in one place."""

from __future__ import annotations

from models.errors import WorkbenchError

# Chat


class ConversationNotFound(WorkbenchError):
    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id} no longer exists")


# Compare


class IncompatibleModels(WorkbenchError):
    """Models that cannot be compared with the reference: unreadable, or another tokenizer or vocabulary."""


class WillNotFit(WorkbenchError):
    """A model would not fit in memory even on its own."""


# Quantize


class RecipeError(WorkbenchError):
    """A quantization recipe that is malformed, unknown or cannot be stored."""


class RecipeQuantizeCancelled(WorkbenchError):
    pass


class ImatrixError(WorkbenchError):
    """An importance matrix could not be computed (llama-imatrix) or read."""


class ImatrixCancelled(ImatrixError):
    pass


# Speculative decoding, RPC, tensors


class BenchCancelled(WorkbenchError):
    def __init__(self) -> None:
        super().__init__("the benchmark was cancelled")


class RpcHostError(WorkbenchError):
    """rpc-server could not start, refused the bind, or died."""


class TensorRunError(WorkbenchError):
    """A tensor model's inputs could not be read, or its run failed or was cancelled."""


# Voice


class AudioDeviceError(WorkbenchError):
    """The microphone is missing, refused, or went away mid-stream."""


class StageFailed(WorkbenchError):
    def __init__(self, stage: str, message: str, crashed: bool = False) -> None:
        self.stage = stage
        self.crashed = crashed
        super().__init__(f"{stage} failed: {message}")
