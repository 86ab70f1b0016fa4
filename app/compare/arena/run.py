"""Output arena: the same prompts, seed and sampling for every variant, each
in its own worker, their tokens streamed back as they come.

``run_arena`` is a generator of arena events (for ``ui.shell.workers.start_worker``
and the CLI alike). Models are scheduled by memory like the quality run
(``schedule``): the ones that fit together run concurrently, each with a
share of the threads, and every event says how many ran at once, since
concurrent workers share the CPU and their speeds with it. Arena work never
runs beside a Compare speed test (``solo``).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.compare.compatibility import check_compatible
from app.compare.config import AnyCancel
from app.compare.schedule import (
    Budget,
    default_max_parallel,
    estimate_demand,
    next_wave,
    refuse_what_cannot_fit,
    threads_per_worker,
)
from app.compare.solo import GATE
from models.errors import WorkbenchError
from models.gguf.info import read_gguf_info
from runtimes.events import Done, Error, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.requests import Sampling, TextRequest

DEFAULT_SEED = 42
Loader = Callable[[Path, LlamaLoadOptions, Any], Any]  # (model, options, cancel) -> Session


def arena_sampling(**overrides: Any) -> Sampling:
    """Greedy by default, so outputs differ only where the weights do; a fixed seed otherwise."""
    return Sampling(**{"temperature": 0.0, "seed": DEFAULT_SEED, "max_tokens": 128, **overrides})


@dataclass
class ArenaConfig:
    reference: Path
    models: list[Path]  # the variants (the reference is added first if missing; duplicates dropped)
    prompts: list[str]
    sampling: Sampling = field(default_factory=arena_sampling)
    options: LlamaLoadOptions = field(default_factory=lambda: LlamaLoadOptions(n_ctx=2048))
    chat: bool = False  # send each prompt as a user message through the model's chat template
    max_parallel: int | None = None  # None: one per core, at most 4

    def __post_init__(self) -> None:
        if not self.prompts or not all(p.strip() for p in self.prompts):
            raise WorkbenchError("give at least one prompt, and no empty ones")
        models = [Path(self.reference), *map(Path, self.models)]
        self.models = list(dict.fromkeys(models))  # the reference first, each file once

    def request(self, prompt: str) -> TextRequest:
        if self.chat:
            return TextRequest(messages=[{"role": "user", "content": prompt}], sampling=self.sampling)
        return TextRequest(prompt=prompt, sampling=self.sampling)


@dataclass(frozen=True)
class ArenaStarted:
    model: str
    prompt_index: int
    facts: dict[str, Any]  # quant, size_bytes, bpw
    concurrent: int  # models running at the same time, this one included


@dataclass(frozen=True)
class ArenaToken:
    model: str
    prompt_index: int
    text: str
    token_id: int | None


@dataclass(frozen=True)
class ArenaFinished:
    model: str
    prompt_index: int
    stats: dict[str, Any]  # GenerationStats.as_dict(): ttft_s, prompt_tps, gen_tps, peak_rss_bytes, ...


@dataclass(frozen=True)
class ArenaError:
    model: str
    prompt_index: int
    message: str


ArenaEvent = ArenaStarted | ArenaToken | ArenaFinished | ArenaError


def read_prompts(path: Path) -> list[str]:
    """A prompt set: a JSON list of strings, or one prompt per non-empty line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkbenchError(f"cannot read the prompt file {path}: {exc}") from exc
    if text.lstrip().startswith("["):
        try:
            prompts = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorkbenchError(f"{Path(path).name}: not a JSON list of prompts ({exc.msg}, line {exc.lineno})") \
                from exc
        if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
            raise WorkbenchError(f"{Path(path).name}: a JSON prompt set must be a list of strings")
    else:
        prompts = text.splitlines()
    prompts = [p for p in prompts if p.strip()]
    if not prompts:
        raise WorkbenchError(f"{Path(path).name} has no prompts")
    return prompts


def model_facts(model: Path) -> dict[str, Any]:
    info = read_gguf_info(model)
    return {"file": str(model), "quant": info.file_type_name, "size_bytes": info.file_size,
            "bpw": info.bits_per_weight}


def _default_loader(model: Path, options: LlamaLoadOptions, cancel: Any) -> Any:
    from runtimes.registry import get_runtime

    return get_runtime("llama.cpp").load(model, options, cancel)


def run_arena(spec: ArenaConfig, cancel: Any = None, loader: Loader | None = None,
              budget: Callable[[], Budget] | None = None) -> Iterator[ArenaEvent]:
    """Yield every model's events for every prompt; the reference starts first."""
    loader, budget = loader or _default_loader, budget or Budget.available
    models = [Path(m) for m in spec.models]
    check_compatible(Path(spec.reference), [m for m in models if m != Path(spec.reference)])
    options = spec.options
    demands = [estimate_demand(m, options.n_ctx, options.n_gpu_layers, options.type_k, options.flash_attn)
               for m in models]
    refuse_what_cannot_fit(demands, budget())  # before loading anything
    facts = {m: model_facts(m) for m in models}
    max_parallel = spec.max_parallel or default_max_parallel()
    pending = sorted(demands, key=lambda d: d.path != Path(spec.reference))
    while pending and not (cancel is not None and cancel.cancelled):
        wave = [d.path for d in next_wave(pending, budget(), max_parallel)]
        yield from _run_wave(spec, wave, facts, loader, AnyCancel(cancel))
        pending = [d for d in pending if d.path not in wave]


def _run_wave(spec: ArenaConfig, wave: list[Path], facts: dict[Path, dict[str, Any]], loader: Loader,
              cancel: AnyCancel) -> Iterator[ArenaEvent]:
    events: queue.Queue = queue.Queue()
    options = replace(spec.options, n_threads=threads_per_worker(spec.options.n_threads, len(wave)))

    def work(model: Path) -> None:
        prompt_index = 0
        try:
            with GATE.shared(cancel) as free:  # never beside a Compare speed test
                if not free:
                    return
                session = loader(model, options, cancel)
                try:
                    for prompt_index, prompt in enumerate(spec.prompts):
                        if cancel.cancelled:
                            break
                        events.put(ArenaStarted(str(model), prompt_index, facts[model], len(wave)))
                        _generate(session, spec.request(prompt), str(model), prompt_index, events, cancel)
                finally:
                    session.close()
        except Exception as exc:  # a model that fails to load or dies shows its error in its column
            for index in range(prompt_index, len(spec.prompts)):  # every prompt it did not get to
                events.put(ArenaError(str(model), index, str(exc) or type(exc).__name__))
        finally:
            events.put(None)

    threads = [threading.Thread(target=work, args=(m,), name=f"arena-{m.name}", daemon=True) for m in wave]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            event = events.get()
            if event is None:
                running -= 1
            else:
                yield event
    finally:
        if running:  # the consumer stopped early (closed, Ctrl+C): stop the workers too
            cancel.inner.cancel()
        for thread in threads:
            thread.join()


def _generate(session: Any, request: TextRequest, model: str, prompt_index: int, events: queue.Queue,
              cancel: Any) -> None:
    for event in session.run(request, cancel):
        if isinstance(event, Token):
            events.put(ArenaToken(model, prompt_index, event.text, event.token_id))
        elif isinstance(event, Done):
            events.put(ArenaFinished(model, prompt_index, event.stats.as_dict()))
            return
        elif isinstance(event, Error):
            events.put(ArenaError(model, prompt_index, event.message))
            return
