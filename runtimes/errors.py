"""Every error the runtimes layer raises (runtimes, the worker host, llama.cpp's
build and memory planner), each a WorkbenchError. Kept in one module so the
hierarchy reads in one place. Standard library only: native_build imports this
before setup has installed the app's dependencies."""

from __future__ import annotations

from models.errors import WorkbenchError


class UnknownRuntime(WorkbenchError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown runtime {name!r}; known runtimes: {', '.join(sorted(known))}")


class RuntimeUnavailable(WorkbenchError):
    pass


class UnknownModelKind(WorkbenchError):
    def __init__(self, model: str, known: dict[str, tuple[str, ...]]) -> None:
        kinds = "; ".join(f"{name}: {', '.join(s)}" for name, s in known.items() if s)
        super().__init__(f"no runtime loads {model!r}; known kinds: {kinds}")


class NotSupported(WorkbenchError):
    """The runtime does not offer this operation (or not on this OS/build)."""


# Loading and the worker process


class LoadFailed(WorkbenchError):
    """The runtime refused the model (llama.cpp returned an error)."""


class LoadCancelled(LoadFailed):
    def __init__(self) -> None:
        super().__init__("loading was cancelled")


class RpcEndpointError(LoadFailed, ValueError):
    """An RPC endpoint is malformed, unreachable, busy or speaks another protocol version."""


class WorkerCrashed(WorkbenchError):
    """The worker process died: crash, abort, out-of-memory kill."""

    def __init__(self, exit_code: int | None, reason: str, log_tail: list[str]) -> None:
        self.exit_code = exit_code
        self.reason = reason
        self.log_tail = log_tail
        tail = f"; last log: {log_tail[-1]}" if log_tail else ""
        super().__init__(f"model worker died ({reason}){tail}")


# llama.cpp: the native build, the memory planner, vision input


class BuildError(WorkbenchError, RuntimeError):
    """The build could not run or failed; the message is one line for the user."""


class PlanFailed(WorkbenchError, RuntimeError):
    """llama.cpp could not simulate this model and context."""


class ContextFull(WorkbenchError):
    """The prompt, images included, does not fit the context."""


class PrefillCancelled(WorkbenchError):
    """Cancelled while evaluating a prompt with images; ends the reply as cancelled, not as an error."""


# Inputs a runtime cannot use


class ImageError(WorkbenchError):
    """An image that cannot be used: not an image, corrupt, or an absurd size."""


class AudioDecodeError(WorkbenchError):
    """An audio file or buffer that cannot be used: missing, empty, not audio, corrupt."""


class TensorInputError(WorkbenchError):
    """An ONNX input array does not match the model's signature."""


class BadInput(WorkbenchError):
    """A Core ML input the model cannot take (unknown name, wrong shape, unsupported kind)."""


# whisper.cpp


class UnsupportedLanguage(WorkbenchError):
    """The whisper model cannot transcribe or translate the requested language."""


class TranscriptionFailed(WorkbenchError):
    """whisper.cpp returned an error."""


class UnsupportedRequest(WorkbenchError, TypeError):
    """A session was given a request type it has no handler for: a caller's bug, so a TypeError.
    The message names the types the session does run (runtimes.dispatch)."""
