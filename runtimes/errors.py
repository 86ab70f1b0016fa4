"""Errors raised by runtimes and the worker host."""

from __future__ import annotations

from models.errors import WorkbenchError


class UnknownRuntime(WorkbenchError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown runtime {name!r}; known runtimes: {', '.join(sorted(known))}")


class RuntimeUnavailable(WorkbenchError):
    pass


class LoadFailed(WorkbenchError):
    """The runtime refused the model (llama.cpp returned an error)."""


class WorkerCrashed(WorkbenchError):
    """The worker process died: crash, abort, out-of-memory kill."""

    def __init__(self, exit_code: int | None, reason: str, log_tail: list[str]) -> None:
        self.exit_code = exit_code
        self.reason = reason
        self.log_tail = log_tail
        tail = f"; last log: {log_tail[-1]}" if log_tail else ""
        super().__init__(f"model worker died ({reason}){tail}")


class NotSupported(WorkbenchError):
    """The runtime does not offer this operation (or not on this OS/build)."""


class UnknownModelKind(WorkbenchError):
    def __init__(self, model: str, known: dict[str, tuple[str, ...]]) -> None:
        kinds = "; ".join(f"{name}: {', '.join(s)}" for name, s in known.items() if s)
        super().__init__(f"no runtime loads {model!r}; known kinds: {kinds}")



class UnsupportedRequest(TypeError):
    """A session was given a request type it has no handler for: a caller's bug, so a TypeError.
    The message names the types the session does run (runtimes.dispatch)."""
