"""Speculative-decoding numbers as short text, for the CLI and the chat."""

from __future__ import annotations

from typing import Any


def spec_summary(spec: dict[str, Any] | None) -> str:
    """'draft tiny.gguf, K≤8: accepted 312/400 (78%), mean 3.1/round', or '' when plain."""
    if not spec:
        return ""
    if spec.get("off"):
        return f"{spec.get('label') or spec.get('mode', 'speculative')}: off, {spec['off']}"
    drafted, accepted = int(spec.get("drafted", 0)), int(spec.get("accepted", 0))
    text = f"{spec.get('label') or spec.get('mode', 'speculative')}: accepted {accepted}/{drafted}"
    if drafted:
        text += f" ({accepted / drafted:.0%}), mean {spec.get('mean_accepted_len', 0.0):.1f}/round"
    if spec.get("backoff_tokens"):
        text += f", {spec['backoff_tokens']} tokens without drafting (did not pay)"
    if spec.get("speedup"):
        text += f", {spec['speedup']:.2f}× vs plain"
    return text
