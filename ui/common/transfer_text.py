"""Sizes, speeds and ETAs for the Library page; small files show KiB, not "0 MiB"."""

from __future__ import annotations


def size_text(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def speed_text(bytes_per_s: float) -> str:
    return f"{size_text(int(bytes_per_s))}/s" if bytes_per_s > 0 else "—/s"


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "ETA —"
    s = int(seconds)
    return f"ETA {s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"ETA {s // 60}:{s % 60:02d}"


def error_text(error: BaseException) -> str:
    """One line for the user; the traceback stays in the log, never on screen."""
    from models.errors import WorkbenchError

    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, WorkbenchError):
        return text or type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
