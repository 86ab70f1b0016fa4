"""Split a long recording on speech with Silero VAD before transcription
(``workbench transcribe --vad``): the file is streamed a second at a time,
never loaded whole, and each stretch of speech comes out as one piece of at
most ``max_piece_s`` (whisper's 30 s window), with where it starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.voice.sources import FileSource
from app.voice.vad_stage import RATE, Utterance, VadSettings, VadStage

READ_CHUNK_S = 1.0


def speech_pieces(path: str | Path, threshold: float = 0.5, min_speech_ms: int = 250, hangover_ms: int = 300,
                  max_piece_s: float = 30.0, model=None) -> Iterator[Utterance]:
    """Each stretch of speech in ``path`` (16 kHz float32 audio with start_s/end_s in the file)."""
    from runtimes.onnx.vad.model import SileroModel

    settings = VadSettings(threshold, min_speech_ms, hangover_ms, max_utterance_s=max_piece_s)
    stage = VadStage(model or SileroModel.open(), settings)
    for chunk in FileSource(path, chunk_s=READ_CHUNK_S).frames():
        yield from (e for e in stage.feed(chunk) if isinstance(e, Utterance) and len(e.audio))
    yield from (e for e in stage.flush() if isinstance(e, Utterance) and len(e.audio))


def transcribe_speech(session, path: str | Path, request, on_segment, cancel=None):
    """Transcribe only the speech in ``path``: each VAD piece is one request
    (``request`` gives language, prompt...), its segments shifted to file time
    and passed to ``on_segment(segment, number)`` as they come. Returns (segments, Done or Error);
    Done.result sums the pieces (``audio_s`` is the whole file, ``speech_s`` the
    part that was transcribed)."""
    import dataclasses
    import time

    from runtimes.audio_decode import probe_audio
    from runtimes.events import Done, Error, Segment
    from runtimes.requests import Audio

    audio_s = probe_audio(path).duration_s
    segments: list[Segment] = []
    pieces, speech_s, decode_s, languages, last = 0, 0.0, 0.0, [], None
    t0 = time.perf_counter()
    for piece in speech_pieces(path):
        if cancel is not None and cancel.cancelled:
            break
        pieces += 1
        speech_s += piece.end_s - piece.start_s
        piece_request = dataclasses.replace(request, audio=Audio(samples=piece.audio.tobytes(), sample_rate=RATE))
        for event in session.run(piece_request, cancel):
            if isinstance(event, Segment):
                shifted = Segment(event.text, event.start_s + piece.start_s, event.end_s + piece.start_s)
                segments.append(shifted)
                on_segment(shifted, len(segments))
            elif isinstance(event, Error):
                return segments, Error(f"{event.message} (in the speech at {piece.start_s:.1f} s)", event.kind)
            elif isinstance(event, Done):
                last = event
                decode_s += float(event.result.get("transcribe_s", 0.0))
                languages.append(event.result.get("language"))
    wall = time.perf_counter() - t0
    result = dict(last.result) if last is not None else {}
    result.update({
        "language": max(set(languages), key=languages.count) if languages else request.language,
        "audio_s": audio_s, "speech_s": speech_s, "vad_pieces": pieces, "transcribe_s": wall,
        "decode_s": decode_s, "rtf": audio_s / wall if wall > 0 else 0.0, "n_segments": len(segments),
        "cancelled": bool(cancel is not None and cancel.cancelled),
    })
    return segments, Done(last.stats if last is not None else Done().stats, result)
