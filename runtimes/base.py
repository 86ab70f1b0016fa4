"""The one backend interface every runtime implements.

A ``Runtime`` is a stateless description of an inference engine:

* ``name`` and ``capabilities`` (a frozenset of :class:`Capability`);
* ``availability()`` -> :class:`Availability` (ok, or the reason it is not);
* ``devices()`` -> list of :class:`Device` (CPU, CUDA:0, Metal, Vulkan0, ANE...);
* ``load(model, options, cancel)`` -> :class:`Session`, hosted in a worker process;
* ``open_session(model, options)`` -> :class:`Session` in *this* process
  (the worker calls it; tests and benchmarks may too).

A ``Session`` owns one loaded model. ``run(request, cancel)`` is a generator of
typed events (:mod:`runtimes.events`) and checks ``cancel`` between units of
work (tokens, segments, chunks). The request type depends on the capability:
:class:`TextRequest` for text generation; transcription, tensor inference and
speech synthesis bring their own request dataclasses (all in
:data:`runtimes.requests.Request`). A session lists the types it runs, each with
its method, in ``handlers`` (:mod:`runtimes.dispatch`). ``close()`` frees
everything. ``stats`` holds load time and peak memory of the hosting process.
"""

from __future__ import annotations

import abc
import enum
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from runtimes.dispatch import RequestHandlers
from runtimes.events import Event

if TYPE_CHECKING:
    from runtimes.requests import Request


class Capability(enum.StrEnum):
    TEXT_GENERATION = "text-generation"
    VISION_INPUT = "vision-input"
    TRANSCRIPTION = "transcription"
    TENSOR_INFERENCE = "tensor-inference"
    SPEECH_SYNTHESIS = "speech-synthesis"


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""
    # Available, but its main job cannot run here now: the badge says so ("Inspect only …").
    limited: str = ""

    @classmethod
    def yes(cls, note: str = "") -> Availability:
        return cls(True, note)

    @classmethod
    def no(cls, reason: str) -> Availability:
        return cls(False, reason)


@dataclass(frozen=True)
class Device:
    id: str  # stable identifier, e.g. "cpu", "cuda:0", "vulkan0"
    kind: str  # "cpu", "cuda", "metal", "vulkan", "ane", ...
    description: str = ""
    memory_total: int | None = None  # bytes, when known
    memory_free: int | None = None
    # A device the runtime knows of but cannot use here (e.g. an ONNX execution
    # provider that is not installed) is listed with available=False and why.
    available: bool = True
    reason: str = ""


class CancelToken:
    """A flag the caller sets and the session polls between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass
class SessionStats:
    load_seconds: float = 0.0
    peak_rss_bytes: int = 0
    vram_bytes: int | None = None
    pid: int | None = None

    @classmethod
    def after_load(cls, started: float, vram: bool = True) -> SessionStats:
        """This process's figures once a model has loaded; ``started`` is the
        time.perf_counter() taken before loading. vram=False: an engine that never uses a GPU."""
        import os
        import time

        from runtimes.memory import own_peak_rss, process_vram

        return cls(load_seconds=time.perf_counter() - started, peak_rss_bytes=own_peak_rss(),
                   vram_bytes=process_vram() if vram else None, pid=os.getpid())


class Session(abc.ABC):
    """One loaded model. Not thread-safe: one ``run`` at a time.

    ``handlers`` maps each request type the session runs to the method that runs it;
    a session that only forwards requests (the worker host) overrides ``run`` instead."""

    stats: SessionStats
    info: dict[str, Any]
    handlers: ClassVar[RequestHandlers] = RequestHandlers("this session", {})

    def run(self, request: Request, cancel: CancelToken | None = None) -> Iterator[Event]:
        """Yield events for ``request`` until a Done or Error event; UnsupportedRequest
        (a TypeError) for a request type not in ``handlers``."""
        return self.handlers.handler_for(request)(self, request, cancel)

    @abc.abstractmethod
    def close(self) -> None:
        """Release the model and all memory it holds."""

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class LoadOptions:
    """Options common to runtimes; runtime-specific ones go in ``extra``."""

    device: str = "cpu"
    n_threads: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def required(cls, options: LoadOptions, runtime: str) -> Self:
        """``options`` as this class: for a runtime that takes no other kind (TypeError if it got one)."""
        if not isinstance(options, cls):
            raise TypeError(f"the {runtime} runtime takes {cls.__name__}")
        return options


@dataclass
class BenchSpec:
    """What ``workbench bench`` asks of any runtime.

    ``params`` holds the CLI's optional knobs by name (``n_prompt``, ``n_gen``,
    ``providers``, ``compute_units``, ``audio``, ``load`` ...); a runtime reads
    the keys it understands and ignores the rest, so callers never branch on
    the runtime.
    """

    repetitions: int = 5
    warmup: bool = True
    n_threads: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class BenchRun:
    """One load-and-measure step of a bench: a label, load options, a request.

    The session answers ``request`` with Metrics(done/total) progress and a
    Done whose ``result`` is a list of flat record dicts.
    """

    label: str
    options: LoadOptions
    request: Request


class Runtime(abc.ABC):
    name: str = ""
    capabilities: frozenset[Capability] = frozenset()
    # File suffixes (lower case) this runtime loads; ``claims`` may look deeper.
    model_suffixes: tuple[str, ...] = ()
    # Record keys shown, in order, in the bench table (all keys go to JSON/CSV).
    bench_columns: tuple[str, ...] = ()

    def claims(self, model: Path) -> bool:
        """Whether ``model`` is a file (or package folder) this runtime loads."""
        return Path(model).suffix.lower() in self.model_suffixes

    def bench_runs(self, model: Path, spec: BenchSpec) -> list[BenchRun]:
        """The runs that benchmark ``model``; runtimes without a bench refuse."""
        from runtimes.errors import NotSupported

        raise NotSupported(f"the {self.name} runtime has no benchmark")

    def describe_model(self, model: Path) -> dict[str, Any]:
        """Static facts about ``model`` (inputs, outputs, metadata) without running it."""
        from runtimes.errors import NotSupported

        raise NotSupported(f"the {self.name} runtime cannot describe models")

    def bench_markdown(self, records: list[dict[str, Any]]) -> str:
        """The bench records as a markdown table of ``bench_columns``."""
        columns = self.bench_columns or tuple(records[0]) if records else ()
        lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        for record in records:
            cells = (_cell(record.get(c, "")) for c in columns)
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


    @abc.abstractmethod
    def availability(self) -> Availability: ...

    @abc.abstractmethod
    def devices(self) -> list[Device]: ...

    @abc.abstractmethod
    def open_session(self, model: Path, options: LoadOptions) -> Session:
        """Load ``model`` in the current process."""

    def validate(self, model: Path, options: LoadOptions) -> None:  # noqa: B027 (optional hook)
        """Raise a WorkbenchError before any worker is started. Default: no check."""

    def load(self, model: Path, options: LoadOptions, cancel: CancelToken | None = None) -> Session:
        """Load ``model`` in its own worker process; ``cancel`` aborts loading."""
        from runtimes.worker.host import WorkerSession

        self.validate(Path(model), options)
        return WorkerSession.start(self.name, Path(model), options, cancel)


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
