"""Latency of a file-driven voice turn with the demo models, stage by stage.

Speaks a question with espeak-ng (silence around it), then runs it through
Silero VAD -> synthetic whisper.cpp model -> demo LLM -> espeak-ng TTS
``--turns`` times (models loaded once, a fresh conversation each turn), and
prints each turn's milestones from the end of speech, the time inside each
stage and Workbench's own overhead (wall time inside no stage call).

Bars: overhead < 50 ms per turn; first audio before the LLM finished (the
reply is spoken sentence by sentence while it is still being written).

    .venv/bin/python benchmarks/voice_latency.py [--turns 5] [--spec small] [--max-tokens 96] [--json-out F]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.voice.conversation import VoiceConversation  # noqa: E402
from app.voice.events import TurnFinished, VoiceProblem  # noqa: E402
from app.voice.models.choice import llm_choice, stt_choice, tts_choice, vad_choice  # noqa: E402
from app.voice.models.loaded import VoiceModels  # noqa: E402
from app.voice.pipeline import PipelineSettings, VoicePipeline  # noqa: E402
from app.voice.sinks import WavFileSink  # noqa: E402
from app.voice.sources import FileSource  # noqa: E402
from app.voice.spoken_file import spoken_wav  # noqa: E402
from runtimes.requests import Sampling  # noqa: E402

QUESTION = "Hello there. Could you tell me something interesting about the weather today?"
OVERHEAD_BAR_MS = 50.0
COLUMNS = (("vad_delay_ms", "VAD hang-over"), ("transcript", "→ transcript"), ("first_token", "→ 1st token"),
           ("first_audio", "→ 1st audio"), ("llm_done", "→ LLM done"), ("reply_done", "→ reply done"),
           ("vad", "in VAD"), ("stt", "in STT"), ("llm", "in LLM"), ("tts", "in TTS"), ("overhead", "overhead"),
           ("wall", "wall"))


def build_models(out: Path, spec: str) -> tuple[Path, Path]:
    from models.demo.factory import build_demo_models
    from models.demo.whisper import write_whisper_model

    llm = next(m.path for m in build_demo_models(out, spec=spec, quants=("Q4_K_M",)) if m.quant == "Q4_K_M")
    return write_whisper_model(out / "whisper-demo.bin"), llm


def row(record: dict) -> dict[str, float | None]:
    values = {"vad_delay_ms": record["vad_delay_ms"], **record["latency_ms"]}
    values.update({k: record["stage_ms"][k] for k in ("vad", "stt", "llm", "tts", "overhead", "wall")})
    return values


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def markdown(records: list[dict]) -> str:
    lines = ["| turn | " + " | ".join(label for _, label in COLUMNS) + " | streamed |",
             "|---:|" + "---:|" * len(COLUMNS) + ":---:|"]
    for record in records:
        values = row(record)
        streamed = "yes" if record["first_audio_before_llm_done"] else "no"
        lines.append(f"| {record['turn']} | " + " | ".join(fmt(values[k]) for k, _ in COLUMNS) + f" | {streamed} |")
    medians = {k: statistics.median(v for r in records if (v := row(r)[k]) is not None) for k, _ in COLUMNS}
    lines.append("| median | " + " | ".join(fmt(medians[k]) for k, _ in COLUMNS) + " | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--spec", default="small", help="demo LLM size (tiny, small); small writes at a real pace")
    parser.add_argument("--max-tokens", type=int, default=96, help="reply cap (the demo LLM never stops by itself)")
    parser.add_argument("-t", "--threads", type=int, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.gettempdir()) / "workbench-voice-bench"
    work.mkdir(exist_ok=True)
    whisper, llm = build_models(work, args.spec)
    wav, _, _ = spoken_wav(work / "question.wav", QUESTION, lead_s=1.0, tail_s=0.5)
    models = VoiceModels()
    records: list[dict] = []
    try:
        for stage, choice in (("vad", vad_choice()), ("stt", stt_choice(whisper, "en", args.threads)),
                              ("llm", llm_choice(llm, 1024, args.threads)), ("tts", tts_choice("espeak"))):
            print(f"load {stage}: {models.load(stage, choice):.2f} s", file=sys.stderr)
        models.llm.sampling = Sampling(max_tokens=args.max_tokens, temperature=0.7, seed=1)
        for turn in range(args.turns + 1):  # turn 0 warms every stage up and is not reported
            pipeline = VoicePipeline(models, PipelineSettings(max_turns=1), VoiceConversation())
            for event in pipeline.run(FileSource(wav), WavFileSink(work / f"reply-{turn}.wav")):
                if isinstance(event, VoiceProblem):
                    raise SystemExit(f"turn {turn}: {event.message}")
                if isinstance(event, TurnFinished) and turn > 0:
                    records.append({**event.timeline.as_dict(), "turn": turn, "reply": event.reply_text})
    finally:
        models.close()
    print(f"demo LLM {llm.name}, synthetic whisper, espeak-ng; {args.max_tokens} tokens max; ms\n")
    print(markdown(records))
    worst = max(r["overhead_ms"] for r in records)
    streamed = sum(r["first_audio_before_llm_done"] for r in records)
    print(f"\nWorkbench overhead per turn: worst {worst:.1f} ms (bar < {OVERHEAD_BAR_MS:.0f} ms): "
          f"{'PASS' if worst < OVERHEAD_BAR_MS else 'FAIL'}")
    print(f"first audio before the LLM finished: {streamed}/{len(records)} turns: "
          f"{'PASS' if streamed == len(records) else 'FAIL'}")
    if args.json_out:
        args.json_out.write_text(json.dumps(records, indent=2))
    return 0 if worst < OVERHEAD_BAR_MS and streamed == len(records) else 1


if __name__ == "__main__":
    sys.exit(main())
