"""A tqdm progress bar driven by (done, total, label) callbacks."""

from __future__ import annotations

from collections.abc import Callable

from tqdm import tqdm


def progress_bar(unit: str = "file") -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    """Return (callback, close)."""
    bar: tqdm | None = None

    def update(done: int, total: int, label: str) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=unit, leave=True)
        bar.set_description(label)
        bar.n = done
        bar.refresh()

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close
