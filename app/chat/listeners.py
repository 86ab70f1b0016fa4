"""A Qt-free signal: plain callbacks to call when something happens.

The chat session (``app.chat.session``) announces its changes with these, so
it stays testable without Qt while the Chat page's parts still hear about
them. Callbacks run at once, in the order they were added, on the caller's
thread; an exception in one reaches the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Listeners:
    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def add(self, callback: Callable[..., Any]) -> None:
        self._callbacks.append(callback)

    def notify(self, *args: Any) -> None:
        for callback in list(self._callbacks):  # a callback may add another; it hears the next notify
            callback(*args)
