"""What a model worker and its host say to each other over their pipe, one dataclass a message.

Host to worker: :class:`Run` (one request), then :class:`Close`. Worker to host:
:class:`Loaded` or :class:`LoadError` once, then the events of each run in
:class:`Events` batches. Named types instead of ("kind", ...) tuples, so both
sides match on the type and a message's fields say what they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from runtimes.base import SessionStats
from runtimes.events import Event

if TYPE_CHECKING:
    from runtimes.requests import Request


@dataclass(frozen=True)
class Run:
    request: Request


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class Loaded:
    info: dict[str, Any]
    stats: SessionStats


@dataclass(frozen=True)
class LoadError:
    message: str


@dataclass(frozen=True)
class Events:
    """Events of the current run, in order; a batch ends the run when its last one is Done or Error."""

    events: list[Event]


ToWorker: TypeAlias = Run | Close
FromWorker: TypeAlias = Loaded | LoadError | Events
