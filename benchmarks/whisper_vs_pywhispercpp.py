"""whisper's real-time factor through Workbench vs calling pywhispercpp directly.

Workbench: ``get_runtime("whisper.cpp").load()`` (a worker process), then a
TranscribeRequest whose segments stream back over the pipe; timed in this
process from the request to its Done event, so the worker's IPC, audio
transfer and segment streaming are all counted. Direct: pywhispercpp's own
``Model(path).transcribe(samples)`` in this process. Same model, the same
16 kHz samples, threads, language and decoding settings; the two alternate for
``--rounds`` rounds and the medians are compared (target: Workbench RTF >=
0.95 x direct).

The default model is synthetic with whisper tiny's shape (384 wide, 4 encoder
and 4 decoder layers, models/demo_whisper ``DemoWhisperSpec.bench()``), so the
compute is tiny-sized; the default audio is espeak-ng speech (~13 s), or a
generated voice-like signal without espeak-ng.

    .venv/bin/python benchmarks/whisper_vs_pywhispercpp.py [--model ggml-tiny.bin] [--audio F] [-t N] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from models.demo.whisper import DemoWhisperSpec, write_whisper_model  # noqa: E402
from runtimes.audio_decode import SPEECH_RATE, audio_samples  # noqa: E402
from runtimes.events import Done, Error, Segment  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import Audio, TranscribeRequest  # noqa: E402
from runtimes.whisper_cpp.bench import bench_audio  # noqa: E402
from runtimes.whisper_cpp.options import WhisperLoadOptions  # noqa: E402
from runtimes.whisper_cpp.session import default_threads  # noqa: E402


def cpu_seconds(pid: int | None = None) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def workbench_run(session, samples: np.ndarray, language: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (worker and this process) and segments of one transcription."""
    request = TranscribeRequest(Audio(samples=samples.tobytes(), sample_rate=SPEECH_RATE), language=language)
    cpu0 = cpu_seconds() + cpu_seconds(session.pid)
    t0 = time.perf_counter()
    n_segments = 0
    for event in session.run(request):
        if isinstance(event, Segment):
            n_segments += 1
        elif isinstance(event, Error):
            raise RuntimeError(event.message)
        elif isinstance(event, Done):
            wall = time.perf_counter() - t0
            return wall, cpu_seconds() + cpu_seconds(session.pid) - cpu0, n_segments
    raise RuntimeError("no Done event")


def direct_run(model, samples: np.ndarray, language: str) -> tuple[float, float, int]:
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    segments = model.transcribe(samples, language=language)
    return time.perf_counter() - t0, cpu_seconds() - cpu0, len(segments)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a whisper ggml file (default: synthetic tiny-sized)")
    parser.add_argument("--audio", type=Path, default=None, help="audio file (default: espeak-ng speech)")
    parser.add_argument("-t", "--threads", type=int, default=None, help="threads (default: physical cores)")
    parser.add_argument("-l", "--language", default="en")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    from pywhispercpp.model import Model

    model_path = args.model
    if model_path is None:
        model_path = Path(tempfile.gettempdir()) / "workbench-bench-models" / "whisper-bench-tiny-shape.bin"
        if not model_path.is_file():
            write_whisper_model(model_path, DemoWhisperSpec.bench())
    audio, label = bench_audio(args.audio)
    samples = audio_samples(audio, SPEECH_RATE)
    audio_s = samples.size / SPEECH_RATE
    threads = args.threads or default_threads()

    direct = Model(str(model_path), redirect_whispercpp_logs_to=None, n_threads=threads, print_progress=False)
    workbench = get_runtime("whisper.cpp").load(model_path, WhisperLoadOptions(n_threads=threads))
    try:
        direct_run(direct, samples, args.language)  # warm up both
        workbench_run(workbench, samples, args.language)
        rtf: dict[str, list[float]] = {"w": [], "d": []}
        cpu: dict[str, list[float]] = {"w": [], "d": []}
        segments = set()
        for round_ in range(args.rounds):
            sides = [("w", workbench_run, workbench), ("d", direct_run, direct)]
            for side, measure, target in sides if round_ % 2 == 0 else reversed(sides):  # alternate who goes first
                wall, cpu_s, n = measure(target, samples, args.language)
                rtf[side].append(audio_s / wall)
                cpu[side].append(cpu_s / audio_s)
                segments.add((side, n))
    finally:
        workbench.close()
    ours, theirs = rtf["w"], rtf["d"]
    a, b = statistics.median(ours), statistics.median(theirs)
    # Back-to-back runs share the machine's load, so each round's ratio is less noisy than a ratio of medians.
    paired = statistics.median(w / d for w, d in zip(ours, theirs, strict=True))
    print(f"model {model_path.name}, audio: {label} ({audio_s:.1f} s), {threads} threads, {args.rounds} rounds")
    print(f"segments per run: {sorted(segments)}")
    for name, side in (("pywhispercpp direct", "d"), ("workbench (worker)", "w")):
        runs = ", ".join(f"{x:.2f}" for x in rtf[side])
        print(f"{name:20}  RTF {statistics.median(rtf[side]):7.2f}  CPU s per audio s "
              f"{statistics.median(cpu[side]):6.3f}  (RTF runs: {runs})")
    verdict = "PASS" if paired >= 0.95 else "FAIL"
    print(f"RTF ratio workbench/direct: of medians {a / b:.3f}, median per round {paired:.3f}  ({verdict} vs 0.95)")
    cpu_ratio = statistics.median(cpu["w"]) / statistics.median(cpu["d"])
    print(f"CPU time ratio workbench/direct {cpu_ratio:.3f} (less sensitive to other load on the machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
