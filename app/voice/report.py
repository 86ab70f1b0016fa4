"""A turn's numbers as text: the latency strip and the stage table that the
CLI, the benchmark and the Voice page show."""

from __future__ import annotations

from app.voice.timeline import TurnTimeline

MILESTONES = (
    ("transcript", "end of speech → transcript"),
    ("first_token", "end of speech → first LLM token"),
    ("first_audio", "end of speech → first audio"),
    ("llm_done", "end of speech → LLM done"),
    ("reply_done", "end of speech → reply spoken (synthesized)"),
)
STAGE_LABELS = (("vad", "VAD"), ("stt", "STT"), ("llm", "LLM"), ("tts", "TTS"), ("overhead", "Workbench overhead"),
                ("wall", "turn wall time"))


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def latency_strip(timeline: TurnTimeline) -> str:
    """One line: end of speech → transcript, → first token, → first audio."""
    lat = timeline.latencies_ms()
    return (f"end of speech → transcript {_ms(lat['transcript'])} → first token {_ms(lat['first_token'])}"
            f" → first audio {_ms(lat['first_audio'])}")


def stage_table(timeline: TurnTimeline) -> str:
    """Markdown: the milestones since the end of speech, then time inside each stage."""
    lat = timeline.latencies_ms()
    rows = ["| step | ms |", "| --- | ---: |",
            f"| VAD hang-over before the end was decided (audio time) | {timeline.vad_delay_s * 1000:.0f} |"]
    rows += [f"| {label} | {_ms(lat[key])[:-3] if lat[key] is not None else '—'} |" for key, label in MILESTONES]
    rows += ["", "| time inside | ms |", "| --- | ---: |"]
    rows += [f"| {label} | {timeline.stage_s.get(key, 0.0) * 1000:.1f} |" for key, label in STAGE_LABELS]
    streaming = "yes" if timeline.audio_before_llm_done else "no"
    rows += ["", f"first audio before the LLM finished (sentence streaming): {streaming}"]
    return "\n".join(rows)
