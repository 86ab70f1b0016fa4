"""When drafting does not pay, stop drafting for a while (exponential back-off).

A verify batch of 1 + K tokens costs more than one plain step, so rounds that
accept little make speculation slower than plain decoding (prompt lookup on
free prose: 0.64x plain on Gemma 3 270M before this). Each round is measured
against plain decoding's own cost, timed on the steps taken without a draft:
a round that produced fewer tokens per second than a plain step would have,
or accepted nothing, counts as a failure, and after the n-th failure in a row
the next 2**n tokens are decoded plainly (at most MAX_SKIP). Drafting resumes
after the stretch and goes on while rounds pay; each paying round takes one
off the count, so sporadic luck (a counting sequence: 12 % accepted) does not
reset the back-off while a text that starts repeating soon clears it.
"""

from __future__ import annotations

MAX_SKIP = 256  # the longest plain stretch between two tries
EMA = 0.2  # weight of the newest plain-step time in the running average


class DraftBackoff:
    def __init__(self, max_skip: int = MAX_SKIP) -> None:
        self.max_skip = max_skip
        self.failures = 0  # failed rounds in a row
        self.skip = 0  # plain steps left before the next try
        self.plain_s: float | None = None  # running average seconds per plain step
        self.skipped = 0  # plain steps taken because of back-off (for the stats)

    def should_draft(self) -> bool:
        if self.skip > 0:
            self.skip -= 1
            self.skipped += 1
            return False
        return True

    def plain_step(self, seconds: float) -> None:
        self.plain_s = seconds if self.plain_s is None else (1 - EMA) * self.plain_s + EMA * seconds

    def round_done(self, produced: int, accepted: int, seconds: float) -> bool:
        """A round that verified a draft: ``produced`` tokens in ``seconds``.
        Returns whether it failed (then drafting pauses)."""
        slower = self.plain_s is not None and produced * self.plain_s < seconds
        if accepted == 0 or slower:
            self.failures += 1
            self.skip = min(2**self.failures, self.max_skip)
            return True
        # one lucky round does not erase a run of failures; a run of paying rounds does
        self.failures = max(self.failures - 1, 0)
        return False
