"""Errors from talking to the Hugging Face Hub, each a one-line message for the user."""

from __future__ import annotations

from models.errors import WorkbenchError

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
