"""The one-line summary under each reply (like LM Studio's): time to first
token, prompt and generation speed, token counts and why it stopped.

Takes ``GenerationStats.as_dict()`` because that is what the conversation
stores, so reopened chats show the same line.
"""

from __future__ import annotations

from typing import Any

from app.speculative.report import spec_summary

STOP_REASONS = {
    "eos": "end of text",
    "length": "max tokens",
    "stop": "stop string",
    "cancelled": "cancelled",
}


def stats_text(stats: dict[str, Any]) -> str:
    stop = stats.get("stop_reason", "")
    images = stats.get("n_images", 0)
    parts = [
        f"TTFT {stats.get('ttft_s', 0.0) * 1000:.0f} ms",
        *([f"{images} image{'s' * (images > 1)}: {stats.get('n_image_tokens', 0)} tok, "
           f"encoded in {stats.get('image_encode_s', 0.0) * 1000:.0f} ms"] if images else []),
        f"prompt {stats.get('prompt_tps', 0.0):.1f} t/s ({stats.get('n_prompt', 0)} tok)",
        f"gen {stats.get('gen_tps', 0.0):.1f} t/s ({stats.get('n_gen', 0)} tok)",
        f"stop: {STOP_REASONS.get(stop, stop or 'unknown')}",
    ]
    if stats.get("speculative"):
        parts.append(spec_summary(stats["speculative"]))
    return " · ".join(parts)
