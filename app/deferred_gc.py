"""Python's cyclic collector turned off and run by hand, at moments the caller
chooses (between voice turns, on the GUI thread's timer), with the thresholds
it would have used on its own."""

from __future__ import annotations

import gc


class DeferredGc:
    def __init__(self) -> None:
        self.thresholds = gc.get_threshold()
        gc.disable()

    def collect_if_due(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return

    def restore(self) -> None:
        gc.enable()
