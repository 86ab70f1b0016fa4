"""What the arena has produced so far, and where each output leaves the reference's.

Fed the arena's events in any interleaving, the board keeps each (model,
prompt) output as token ids plus the text each token added, and answers
where a variant's output first differs from the reference's output for the
same prompt: the first token index whose id differs, or where one output
ended while the other went on. Until that is known (both still agree so far)
the answer is None. The GUI and the CLI both render from this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.compare.arena.run import ArenaError, ArenaFinished, ArenaStarted, ArenaToken


@dataclass(frozen=True)
class Divergence:
    token_index: int  # first generated token that differs (or is missing)
    char_offset: int  # where that token's text starts in the variant's output


@dataclass
class ArenaOutput:
    model: str
    prompt_index: int
    facts: dict[str, Any] = field(default_factory=dict)
    concurrent: int = 1
    token_ids: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # char offset where each token's text starts
    text: str = ""
    stats: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.stats is not None or self.error is not None

    def add(self, text: str, token_id: int | None) -> None:
        if token_id is not None:  # a flushed tail (id None) belongs to the token before it
            self.token_ids.append(token_id)
            self.starts.append(len(self.text))
        self.text += text

    def char_at(self, token_index: int) -> int:
        return self.starts[token_index] if token_index < len(self.starts) else len(self.text)


class ArenaBoard:
    def __init__(self, models: list[str], reference: str, prompts: list[str]) -> None:
        self.models, self.reference, self.prompts = list(models), reference, list(prompts)
        self.outputs: dict[tuple[str, int], ArenaOutput] = {}

    def output(self, model: str, prompt_index: int) -> ArenaOutput:
        key = (model, prompt_index)
        if key not in self.outputs:
            self.outputs[key] = ArenaOutput(model, prompt_index)
        return self.outputs[key]

    def feed(self, event: Any) -> ArenaOutput | None:
        """Take one arena event; returns the output it changed (None for other events)."""
        if isinstance(event, ArenaStarted):
            out = self.output(event.model, event.prompt_index)
            out.facts, out.concurrent = dict(event.facts), event.concurrent
        elif isinstance(event, ArenaToken):
            out = self.output(event.model, event.prompt_index)
            out.add(event.text, event.token_id)
        elif isinstance(event, ArenaFinished):
            out = self.output(event.model, event.prompt_index)
            out.stats = dict(event.stats)
        elif isinstance(event, ArenaError):
            out = self.output(event.model, event.prompt_index)
            out.error = event.message
        else:
            return None
        return out

    def divergence(self, model: str, prompt_index: int) -> Divergence | None:
        """Where ``model``'s output first differs from the reference's, once that is known."""
        if model == self.reference:
            return None
        ref, out = self.outputs.get((self.reference, prompt_index)), self.outputs.get((model, prompt_index))
        if ref is None or out is None:
            return None
        index = first_difference(ref.token_ids, out.token_ids, ref.finished, out.finished)
        return None if index is None else Divergence(index, out.char_at(index))

    def all_finished(self) -> bool:
        return all(self.output(m, p).finished for m in self.models for p in range(len(self.prompts)))


def first_difference(reference: list[int], other: list[int], reference_done: bool, other_done: bool) -> int | None:
    """First index where the two token streams differ, or None while they agree so far
    (and when they are identical). A stream that ended where the other went on differs there."""
    for index, (a, b) in enumerate(zip(reference, other, strict=False)):
        if a != b:
            return index
    shorter = min(len(reference), len(other))
    if len(reference) == len(other):
        return None
    # One is a prefix of the other: it differs at its end only if it really ended there.
    ended = reference_done if len(reference) == shorter else other_done
    return shorter if ended else None
