"""workbench transcribe AUDIO --model M: speech to text, segments printed as they stream.

The model runs in its worker process; the audio is checked here first so a
file that is not audio fails before any model loads. Output goes to stdout
(text, --srt, --vtt as segments arrive; --json at the end), the summary line
to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.chat.transcript_format import VTT_HEADER, srt_cue, text_line, transcript_json, vtt_cue
from models.errors import WorkbenchError
from models.whisper.validate import validate_whisper_model
from runtimes.audio_decode import probe_audio
from runtimes.base import CancelToken, Capability
from runtimes.errors import UnknownModelKind
from runtimes.events import Done, Error, Segment
from runtimes.registry import runtime_for
from runtimes.requests import Audio, TranscribeRequest

HELP = "transcribe an audio file (WAV, FLAC, OGG, MP3) with a whisper model"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("transcribe", help=HELP, description=HELP)
    parser.add_argument("audio", type=Path, help="audio file; any rate and channel count (converted to 16 kHz mono)")
    parser.add_argument("-m", "--model", type=Path, required=True, help="whisper.cpp ggml model (ggml-*.bin)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="format", action="store_const", const="json", help="one JSON document")
    fmt.add_argument("--srt", dest="format", action="store_const", const="srt", help="SubRip subtitles")
    fmt.add_argument("--vtt", dest="format", action="store_const", const="vtt", help="WebVTT subtitles")
    parser.add_argument("-l", "--language", default="auto", help="spoken language code, or auto (default)")
    parser.add_argument("--translate", action="store_true", help="translate to English")
    parser.add_argument("--prompt", default="", help="initial prompt: names, spelling, style to follow")
    parser.add_argument("-t", "--threads", type=int, default=None, help="CPU threads (default: physical cores)")
    parser.add_argument("--device", default="cpu", help="cpu, gpu or gpu:N (GPU needs a GPU build of pywhispercpp)")
    parser.add_argument("-bs", "--beam-size", type=int, default=0, help="beam search width (default: greedy)")
    parser.add_argument("-nf", "--no-fallback", action="store_true", help="no temperature fallback when decoding")
    parser.add_argument("--vad", action="store_true", help="split on speech with Silero VAD first: silence is "
                        "skipped and the file is streamed piece by piece (long recordings)")
    parser.set_defaults(handler=run, format="text")


def run(args: argparse.Namespace) -> int:
    from runtimes.whisper_cpp.options import WhisperLoadOptions  # whisper.cpp is the transcription runtime

    info = probe_audio(args.audio)  # not audio / empty: a clear error before any model loads
    try:
        runtime = runtime_for(args.model)
    except UnknownModelKind:
        validate_whisper_model(args.model)  # names what is wrong with it as a whisper model (missing, empty...)
        raise
    if Capability.TRANSCRIPTION not in runtime.capabilities:
        raise WorkbenchError(f"{args.model.name} is a {runtime.name} model, not a speech-to-text model")
    options = WhisperLoadOptions(device=args.device, n_threads=args.threads, beam_size=args.beam_size,
                                 temperature_fallback=not args.no_fallback)
    request = TranscribeRequest(Audio(path=str(args.audio.resolve())), args.language, args.translate,
                                args.prompt, args.threads)
    session = runtime.load(args.model, options)
    try:
        if args.vad:
            from app.voice.vad_split import transcribe_speech

            if args.format == "vtt":
                _out(VTT_HEADER)
            segments, done = transcribe_speech(session, args.audio, request,
                                               lambda segment, n: _print_segment(segment, n, args.format))
        else:
            segments, done = _stream(session, request, args.format)
    finally:
        session.close()
    if isinstance(done, Error):
        print(f"workbench: error: {done.message}", file=sys.stderr)
        return 1
    result = dict(done.result)
    if args.format == "json":
        doc = transcript_json(segments, result, model=str(args.model), audio=str(args.audio),
                              audio_format=info.format, audio_rate=info.sample_rate, audio_channels=info.channels)
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    print(_summary(result), file=sys.stderr)
    return 130 if result.get("cancelled") else 0


def _stream(session, request: TranscribeRequest, fmt: str) -> tuple[list[Segment], Done | Error]:
    cancel = CancelToken()
    segments: list[Segment] = []
    if fmt == "vtt":
        _out(VTT_HEADER)
    events = session.run(request, cancel)
    try:
        end = _print_until_end(events, segments, fmt)
    except KeyboardInterrupt:  # stop decoding, keep what was transcribed
        cancel.cancel()
        end = _print_until_end(events, segments, fmt)
    return segments, end if end is not None else Error("the model worker ended without a result")


def _print_until_end(events, segments: list[Segment], fmt: str) -> Done | Error | None:
    """Print each Segment as it arrives (collected into ``segments``); the Done or Error that ends the run."""
    for event in events:
        if isinstance(event, Segment):
            segments.append(event)
            _print_segment(event, len(segments), fmt)
        elif isinstance(event, (Done, Error)):
            return event
    return None


def _print_segment(segment: Segment, index: int, fmt: str) -> None:
    if fmt == "text":
        _out(text_line(segment) + "\n")
    elif fmt == "srt":
        _out(srt_cue(index, segment))
    elif fmt == "vtt":
        _out(vtt_cue(segment))


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _summary(result: dict) -> str:
    parts = [
        f"language {result.get('language')}",
        f"{result.get('audio_s', 0):.1f} s audio in {result.get('transcribe_s', 0):.2f} s",
        f"RTF {result.get('rtf', 0):.1f}x real time",
        f"load {result.get('load_s', 0):.2f} s",
        f"peak {result.get('peak_rss_bytes', 0) / 2**20:.0f} MiB",
    ]
    if result.get("cancelled"):
        parts.append("interrupted")
    return "[" + " | ".join(parts) + "]"
