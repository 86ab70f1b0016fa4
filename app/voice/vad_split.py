"""Split a long recording on speech with Silero VAD before transcription
(``workbench transcribe --vad``): the file is streamed a second at a time,
never loaded whole, and each stretch of speech comes out as one piece of at
most ``max_piece_s`` (whisper's 30 s window), with where it starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.voice.sources import FileSource
from app.voice.vad_stage import Utterance, VadSettings, VadStage

READ_CHUNK_S = 1.0


def speech_pieces(path: str | Path, threshold: float = 0.5, min_speech_ms: int = 250, hangover_ms: int = 300,
                  max_piece_s: float = 30.0, model=None) -> Iterator[Utterance]:
    """Each stretch of speech in ``path`` (16 kHz float32 audio with start_s/end_s in the file)."""
    from runtimes.onnx.vad_model import SileroModel

    settings = VadSettings(threshold, min_speech_ms, hangover_ms, max_utterance_s=max_piece_s)
    stage = VadStage(model or SileroModel.open(), settings)
    for chunk in FileSource(path, chunk_s=READ_CHUNK_S).frames():
        yield from (e for e in stage.feed(chunk) if isinstance(e, Utterance) and len(e.audio))
    yield from (e for e in stage.flush() if isinstance(e, Utterance) and len(e.audio))
