"""Transcripts as text, SubRip (.srt), WebVTT (.vtt) or JSON.

Cue functions take one Segment so a caller can print each as it streams in;
``transcript_json`` needs them all.
"""

from __future__ import annotations

from typing import Any

from runtimes.events import Segment


def clock(seconds: float, decimal: str = ".") -> str:
    """00:01:02.345 (WebVTT, whisper-cli) or, with decimal=",", 00:01:02,345 (SubRip)."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def text_line(segment: Segment) -> str:
    """whisper-cli's console format: [00:00:00.000 --> 00:00:02.000]  text"""
    return f"[{clock(segment.start_s)} --> {clock(segment.end_s)}]  {segment.text}"


def srt_cue(index: int, segment: Segment) -> str:
    """One SubRip cue; ``index`` counts from 1. Ends with the blank line that separates cues."""
    return f"{index}\n{clock(segment.start_s, ',')} --> {clock(segment.end_s, ',')}\n{segment.text}\n\n"


VTT_HEADER = "WEBVTT\n\n"


def vtt_cue(segment: Segment) -> str:
    return f"{clock(segment.start_s)} --> {clock(segment.end_s)}\n{segment.text}\n\n"


def transcript_json(segments: list[Segment], result: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "language": result.get("language"),
        "text": " ".join(s.text for s in segments if s.text),
        "segments": [{"start": s.start_s, "end": s.end_s, "text": s.text} for s in segments],
        "metrics": {k: v for k, v in result.items() if k != "language"},
    }
