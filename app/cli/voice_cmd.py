"""workbench voice --stt M --llm M --in FILE.wav --out REPLY.wav: one spoken turn
from a file through VAD -> whisper -> LLM -> TTS, with each stage's latency."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.voice.conversation import DEFAULT_SYSTEM_PROMPT, VoiceConversation
from app.voice.events import NothingHeard, ReplySpoken, TurnFinished, UserSaid, VoiceProblem
from app.voice.models.choice import llm_choice, stt_choice, tts_choice, vad_choice
from app.voice.models.loaded import VoiceModels
from app.voice.pipeline import PipelineSettings, VoicePipeline
from app.voice.report import stage_table
from app.voice.sinks import WavFileSink
from app.voice.sources import FileSource
from app.voice.vad_stage import VadSettings
from models.errors import WorkbenchError
from models.voice.tts_catalog import TTS_ENGINES
from runtimes.requests import Sampling

HELP = "one spoken turn from a WAV: VAD -> speech to text -> LLM -> text to speech, with each stage's latency"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("voice", help=HELP, description=HELP)
    parser.add_argument("--stt", required=True, type=Path, help="whisper.cpp model (ggml .bin)")
    parser.add_argument("--llm", required=True, type=Path, help="GGUF chat model")
    parser.add_argument("--tts", choices=TTS_ENGINES, default="espeak", help="voice engine (default: espeak)")
    parser.add_argument("--tts-model", type=Path, default=None,
                        help="Kokoro/Piper .onnx (default: the voice downloaded from the catalog)")
    parser.add_argument("--voice", default="", help="espeak: en-us, de ...; kokoro: af_heart ...; piper: a speaker")
    parser.add_argument("--vad", type=Path, default=None, help="Silero VAD .onnx (default: silero-vad's own)")
    parser.add_argument("--in", dest="input", required=True, type=Path, help="the user's speech (WAV/FLAC/OGG/MP3)")
    parser.add_argument("--out", required=True, type=Path, help="where to write the spoken reply (WAV)")
    parser.add_argument("--turns", type=int, default=1, help="utterances to answer (default 1)")
    parser.add_argument("--max-tokens", type=int, default=96, help="reply length cap (default 96)")
    parser.add_argument("--temp", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=0xFFFFFFFF)
    parser.add_argument("--system-prompt", default=DEFAULT_SYSTEM_PROMPT)
    parser.add_argument("--language", default="auto", help="spoken language for whisper (default: detect)")
    parser.add_argument("--threshold", type=float, default=0.5, help="VAD speech probability threshold")
    parser.add_argument("--min-speech-ms", type=int, default=250)
    parser.add_argument("--hangover-ms", type=int, default=500, help="silence that ends an utterance (ms)")
    parser.add_argument("-t", "--threads", type=int, default=None, help="threads for STT and LLM")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def load_models(args: argparse.Namespace, say) -> VoiceModels:
    choices = {
        "vad": vad_choice(args.vad),
        "stt": stt_choice(args.stt, args.language, args.threads),
        "llm": llm_choice(args.llm, n_threads=args.threads),
        "tts": tts_choice(args.tts, args.tts_model, args.voice),  # VoiceNotDownloaded before any load
    }
    models = VoiceModels()
    try:
        for stage, choice in choices.items():
            seconds = models.load(stage, choice)
            say(f"loaded {stage.upper()} {choice.name} ({choice.runtime}) in {seconds:.2f} s")
    except BaseException:
        models.close()
        raise
    models.llm.sampling = Sampling(max_tokens=args.max_tokens, temperature=args.temp, seed=args.seed)
    return models


def run(args: argparse.Namespace) -> int:
    if args.turns < 1:
        raise WorkbenchError("--turns must be at least 1")
    source = FileSource(args.input)  # not audio / missing: an error before any model loads

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    models = load_models(args, say)
    settings = PipelineSettings(VadSettings(args.threshold, args.min_speech_ms, args.hangover_ms),
                                max_turns=args.turns)
    pipeline = VoicePipeline(models, settings, VoiceConversation(args.system_prompt))
    sink = WavFileSink(args.out)
    turns, problems, nothing = [], [], []
    try:
        for event in pipeline.run(source, sink):
            if isinstance(event, TurnFinished):
                turns.append(event)
                if not args.json:
                    print(f"reply: {event.reply_text}\n\n{stage_table(event.timeline)}\n")
            elif isinstance(event, UserSaid) and not args.json:
                print(f"turn {event.turn} heard: {event.text}")
            elif isinstance(event, ReplySpoken) and not args.json:
                say(f"  speaking: {event.text}")
            elif isinstance(event, VoiceProblem):
                problems.append(event.message)
                say(f"workbench: {event.message}")
            elif isinstance(event, NothingHeard):
                nothing.append(event.reason)
    finally:
        models.close()
    if args.json:
        print(json.dumps({
            "input": str(args.input), "out": str(args.out) if sink.samples_written else None,
            "reply_audio_s": sink.duration_s, "problems": problems, "nothing_heard": nothing,
            "turns": [{"heard": t.user_text, "reply": t.reply_text, "interrupted": t.interrupted,
                       **t.timeline.as_dict()} for t in turns],
        }, indent=2))
    elif sink.samples_written:
        print(f"wrote {args.out} ({sink.duration_s:.1f} s of speech at {sink.sample_rate} Hz)")
    if not turns and nothing:
        say(f"workbench: {nothing[0]} in {args.input}")
    return 0 if turns and not problems and sink.samples_written else 1
