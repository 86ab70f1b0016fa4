"""From a request's type to the session method that runs it: one table per session class.

Sessions used to pick a method with a ladder of isinstance checks on the request,
each with its own words for a request it could not run. A table built
once per class costs one dict lookup per ``run`` (an ONNX run may take 0.1 ms,
so dispatch must stay cheap) and, for a type it lacks, names every type it has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from runtimes.errors import UnsupportedRequest

if TYPE_CHECKING:
    from runtimes.base import CancelToken
    from runtimes.events import Event

# A session method taking (self, request, cancel); each takes its own request type, hence Any.
Handler = Callable[[Any, Any, "CancelToken | None"], "Iterator[Event]"]


class RequestHandlers:
    """``owner`` ("the ONNX runtime") starts the message for a request type not in ``handlers``."""

    def __init__(self, owner: str, handlers: Mapping[type, Handler]) -> None:
        self.owner = owner
        self._by_type = dict(handlers)

    @property
    def types(self) -> tuple[type, ...]:
        return tuple(self._by_type)

    def handler_for(self, request: object) -> Handler:
        """The handler for ``request``'s type, or for its nearest base class (as isinstance
        would match); UnsupportedRequest names the types there are handlers for."""
        handler = self._by_type.get(type(request))
        if handler is not None:
            return handler
        for base in type(request).__mro__[1:]:
            if base in self._by_type:
                return self._by_type[base]
        runs = ", ".join(t.__name__ for t in self._by_type) or "no requests"
        raise UnsupportedRequest(f"{self.owner} cannot run a {type(request).__name__}; it runs {runs}")
