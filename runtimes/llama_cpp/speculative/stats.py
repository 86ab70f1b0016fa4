"""Counters of one speculative generation, and what they mean.

* drafted: tokens the draft (or prompt lookup) proposed and the target verified.
* accepted: proposed tokens the target agreed with that became output.
* target-produced: output tokens the target sampled itself: the correction
  after a rejection, or the bonus token after a fully accepted draft.
* generated = accepted + target-produced; accepted <= drafted.
* acceptance rate = accepted / drafted.
* mean accepted length = accepted / rounds, where a round is one batched
  target decode that verified at least one drafted token.
* backoff tokens: tokens decoded without drafting because recent rounds did
  not pay (spec_backoff.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SpecCounters:
    mode: str
    label: str
    drafted: int = 0
    accepted: int = 0
    target_tokens: int = 0
    rounds: int = 0
    draft_k: int = 0  # K for the next round (changes when adaptive)
    draft_s: float = 0.0  # time spent drafting
    verify_s: float = 0.0  # time spent in batched target decodes
    backoff_tokens: int = 0
    accepted_lengths: list[int] = field(default_factory=list)

    def round_done(self, drafted: int, accepted: int) -> None:
        if drafted:
            self.rounds += 1
            self.drafted += drafted
            self.accepted_lengths.append(accepted)

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.drafted if self.drafted else 0.0

    @property
    def mean_accepted_len(self) -> float:
        return self.accepted / self.rounds if self.rounds else 0.0

    def metrics(self) -> dict[str, float]:
        """The live numbers sent in Metrics events after every round."""
        return {
            "spec_drafted": float(self.drafted),
            "spec_accepted": float(self.accepted),
            "spec_rounds": float(self.rounds),
            "spec_acceptance_rate": self.acceptance_rate,
            "spec_mean_accepted_len": self.mean_accepted_len,
            "spec_draft_k": float(self.draft_k),
            "spec_backoff_tokens": float(self.backoff_tokens),
        }

    def as_dict(self) -> dict[str, Any]:
        """Final numbers, stored as GenerationStats.speculative."""
        return {
            "mode": self.mode,
            "label": self.label,
            "drafted": self.drafted,
            "accepted": self.accepted,
            "target_tokens": self.target_tokens,
            "rounds": self.rounds,
            "acceptance_rate": self.acceptance_rate,
            "mean_accepted_len": self.mean_accepted_len,
            "final_k": self.draft_k,
            "draft_s": self.draft_s,
            "verify_s": self.verify_s,
            "backoff_tokens": self.backoff_tokens,
        }


def next_k(k: int, drafted: int, accepted: int, k_min: int, k_max: int) -> int:
    """Adaptive draft length: +2 after a fully accepted round, -1 after a
    rejection (the schedule Hugging Face's assisted generation uses)."""
    if drafted == 0:
        return k
    if accepted == drafted:
        return min(k + 2, k_max)
    return max(k - 1, k_min)
