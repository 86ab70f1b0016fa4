"""Every error the models layer raises, rooted in WorkbenchError, the base of
every layer's errors (runtimes/errors.py, app/errors.py, ui/errors.py). Kept in
one module so the hierarchy reads in one place. Each message is one clear line
meant for the user; the CLI prints it without a traceback."""

from __future__ import annotations

from pathlib import Path


class WorkbenchError(Exception):
    """Base class for every error the app reports to the user."""


class ModelFileError(WorkbenchError):
    """A model file is missing, malformed or unsupported."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


# Model files and libraries


class IncompatibleDraft(WorkbenchError):
    """The draft's tokenizer differs from the target's."""


class MmprojMismatch(WorkbenchError):
    """The projector was made for a model of another width."""

    def __init__(self, model: Path, model_width: int, mmproj: Path, mmproj_width: int) -> None:
        self.model_width, self.mmproj_width = model_width, mmproj_width
        super().__init__(
            f"{mmproj.name} does not fit {model.name}: the projector produces {mmproj_width}-wide embeddings "
            f"but the model's embedding width is {model_width}; pick the mmproj made for this model"
        )


class VoiceNotDownloaded(WorkbenchError):
    """A TTS voice's files are not on disk; the message says what to fetch and how."""


class ConversionError(WorkbenchError):
    """coremltools could not convert the model."""


class MissingCoremltools(WorkbenchError):
    """coremltools is not installed; the message says how to install it."""


# The Hugging Face Hub and downloads

_STATUS_PROBLEMS = {
    401: "authentication required: the repo is private or gated; add a Hugging Face token "
         "(Settings, or the HF_TOKEN environment variable)",
    403: "access denied: accept the model's licence on huggingface.co, or use a token that can read this repo",
    404: "not found: check the repo id, revision and file name",
    416: "the server refused the requested byte range (the file may have changed on the Hub)",
    429: "rate limited by the Hub: too many requests, wait a minute and try again",
}


class HubError(WorkbenchError):
    """A Hub request failed; `status` is the HTTP status, or None for a network problem."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class UnsafeFileName(WorkbenchError):
    """A repo advertised a file name that would land outside the target folder."""


class HashMismatch(WorkbenchError):
    """The downloaded bytes do not match the Hub's SHA-256; the file was quarantined."""


class DownloadCancelled(WorkbenchError):
    """Stopped on request; a paused download keeps its .part file."""


class NotEnoughDisk(WorkbenchError):
    """The download would not fit on the target disk."""


class ConnectionLost(WorkbenchError):
    """The connection failed or dropped; the caller may resume from what it has.
    ``transient`` is False where trying again cannot help (an untrusted certificate)."""

    def __init__(self, reason: str, transient: bool = True) -> None:
        super().__init__(reason)
        self.transient = transient


class TokenStoreUnavailable(WorkbenchError):
    """No OS keyring can hold the Hugging Face token, or the keyring refused it."""


def status_problem(status: int) -> str:
    if status in _STATUS_PROBLEMS:
        return _STATUS_PROBLEMS[status]
    if 500 <= status < 600:
        return f"the Hub had a server error (HTTP {status}); try again later"
    return f"unexpected HTTP status {status}"


def http_error(status: int, what: str) -> HubError:
    return HubError(f"{what}: {status_problem(status)}", status)


def is_retryable(status: int | None) -> bool:
    """Network drops, rate limits and server errors may pass; 4xx answers will not."""
    return status is None or status == 429 or status >= 500
