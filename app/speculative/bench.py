"""A/B benchmark of speculative against plain decoding on the same target.

For each mode (a draft model, or prompt lookup) the target is loaded once,
in its worker, with that mode's options; every prompt is then generated
plain (``PlainRequest``) and speculatively, alternately, at temperature 0
with the same seed, so the two token streams must be identical.

tokens/s here is decode speed in wall time: generated tokens divided by the
request's wall time (seen from this process, pipe included) minus the
prompt evaluation, the same span llama-speculative-simple's "decoded ... t/s"
covers. Shared by ``workbench spec-bench``, the Speculative page and
benchmarks/spec_vs_plain.py.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import BenchCancelled
from models.errors import WorkbenchError
from runtimes.base import CancelToken, Session
from runtimes.events import Done, Error, GenerationStats, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.speculative.options import PlainRequest, SpeculativeOptions
from runtimes.registry import get_runtime
from runtimes.requests import Request, Sampling, TextRequest

DEFAULT_PROMPTS = (
    "Once upon a time, in a small village by the sea,",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "The three most important things to know about the history of Rome are",
    "Write a short list of tips for staying focused while working from home:\n1.",
)


@dataclass
class Run:
    """One generation, as the bench saw it."""

    tokens: list[int]
    wall_s: float
    stats: GenerationStats

    @property
    def decode_s(self) -> float:
        return max(self.wall_s - self.stats.prompt_s, 1e-9)

    @property
    def tps(self) -> float:
        return self.stats.n_gen / self.decode_s


@dataclass
class PromptResult:
    prompt: str
    plain_tps: float
    spec_tps: float
    identical: bool
    n_gen: int
    drafted: int
    accepted: int
    rounds: int
    off: str = ""  # why the session decoded plainly (batched verification not exact), or ""

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.drafted if self.drafted else 0.0


@dataclass
class ModeResult:
    mode: str  # "draft" or "lookup"
    label: str
    prompts: list[PromptResult] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.prompts)

    @property
    def plain_tps(self) -> float:
        return self._rate("plain_tps")

    @property
    def spec_tps(self) -> float:
        return self._rate("spec_tps")

    def _rate(self, name: str) -> float:
        # Total tokens over total time: long prompts weigh by their length.
        seconds = sum(p.n_gen / getattr(p, name) for p in self.prompts if getattr(p, name) > 0)
        return self._total("n_gen") / seconds if seconds else 0.0

    @property
    def speedup(self) -> float:
        return self.spec_tps / self.plain_tps if self.plain_tps else 0.0

    @property
    def acceptance_rate(self) -> float:
        drafted = self._total("drafted")
        return self._total("accepted") / drafted if drafted else 0.0

    @property
    def mean_accepted_len(self) -> float:
        rounds = self._total("rounds")
        return self._total("accepted") / rounds if rounds else 0.0

    @property
    def identical(self) -> bool:
        return all(p.identical for p in self.prompts)

    @property
    def off(self) -> str:
        return next((p.off for p in self.prompts if p.off), "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "label": self.label,
            "plain_tps": self.plain_tps,
            "spec_tps": self.spec_tps,
            "speedup": self.speedup,
            "acceptance_rate": self.acceptance_rate,
            "mean_accepted_len": self.mean_accepted_len,
            "identical": self.identical,
            "off": self.off,
            "drafted": self._total("drafted"),
            "accepted": self._total("accepted"),
            "n_gen": self._total("n_gen"),
            "prompts": [dataclasses.asdict(p) | {"acceptance_rate": p.acceptance_rate} for p in self.prompts],
        }


@dataclass(frozen=True)
class BenchProgress:
    done: int
    total: int
    label: str
    prompt: PromptResult | None = None  # set when a prompt's A/B pair finished
    mode: str = ""


def generate_once(session: Session, request: Request, cancel: CancelToken | None) -> Run:
    t0 = time.perf_counter()
    tokens: list[int] = []
    done: Done | None = None
    for event in session.run(request, cancel):
        if isinstance(event, Token) and event.token_id is not None:
            tokens.append(event.token_id)
        elif isinstance(event, Error):
            raise WorkbenchError(f"generation failed: {event.message}")
        elif isinstance(event, Done):
            done = event
    if done is None:
        raise WorkbenchError("the model stopped without finishing the reply")
    if done.stats.stop_reason == "cancelled":
        raise BenchCancelled()
    return Run(tokens, time.perf_counter() - t0, done.stats)


def compare_prompt(session: Session, prompt: str, n_predict: int, seed: int,
                   cancel: CancelToken | None, spec_first: bool = False) -> PromptResult:
    sampling = Sampling(temperature=0.0, seed=seed, max_tokens=n_predict)
    request = TextRequest(prompt=prompt, sampling=sampling)
    if spec_first:  # benchmarks alternate the order between rounds so that drift cancels
        spec = generate_once(session, request, cancel)
        plain = generate_once(session, PlainRequest(request), cancel)
    else:
        plain = generate_once(session, PlainRequest(request), cancel)
        spec = generate_once(session, request, cancel)
    counts = spec.stats.speculative or {}
    return PromptResult(
        prompt=prompt,
        plain_tps=plain.tps,
        spec_tps=spec.tps,
        identical=plain.tokens == spec.tokens,
        n_gen=spec.stats.n_gen,
        drafted=int(counts.get("drafted", 0)),
        accepted=int(counts.get("accepted", 0)),
        rounds=int(counts.get("rounds", 0)),
        off=str(counts.get("off") or ""),
    )


def run_spec_bench(target: str | Path, modes: list[SpeculativeOptions], prompts: list[str],
                   n_predict: int = 256, seed: int = 42, load: LlamaLoadOptions | None = None,
                   cancel: CancelToken | None = None, warmup: bool = True,
                   spec_first: bool = False) -> Iterator[BenchProgress | ModeResult]:
    """Yield BenchProgress as prompts finish and a ModeResult per mode."""
    if not modes:
        raise WorkbenchError("choose at least one speculative mode (a draft model or prompt lookup)")
    if not prompts:
        raise WorkbenchError("no prompts to benchmark")
    if n_predict < 1:
        raise WorkbenchError("-n must be at least 1")
    base = load or LlamaLoadOptions(n_ctx=max(2048, n_predict * 2))
    total = len(modes) * len(prompts)
    done = 0
    for options in modes:
        if cancel is not None and cancel.cancelled:
            raise BenchCancelled()
        yield BenchProgress(done, total, f"loading {options.label}", mode=options.mode)
        session = get_runtime("llama.cpp").load(Path(target), dataclasses.replace(base, speculative=options), cancel)
        result = ModeResult(options.mode, options.label)
        try:
            if warmup:  # first decodes fault the weights in; keep them out of the figures
                compare_prompt(session, prompts[0], min(16, n_predict), seed, cancel)
            for prompt in prompts:
                yield BenchProgress(done, total, f"{options.label}: prompt {len(result.prompts) + 1}/{len(prompts)}",
                                    mode=options.mode)
                outcome = compare_prompt(session, prompt, n_predict, seed, cancel, spec_first)
                result.prompts.append(outcome)
                done += 1
                yield BenchProgress(done, total, options.label, outcome, options.mode)
        finally:
            session.close()
        yield result


def read_prompts(path: str | Path) -> list[str]:
    """One prompt per non-empty line; a literal \\n in a line is a newline."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise WorkbenchError(f"cannot read prompts from {path}: {exc.strerror or exc}") from exc
    prompts = [line.replace("\\n", "\n") for line in lines if line.strip()]
    if not prompts:
        raise WorkbenchError(f"{path} holds no prompts (one per line)")
    return prompts
