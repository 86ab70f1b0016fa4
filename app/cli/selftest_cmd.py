"""workbench selftest: prove this install works end to end, without a GPU,
a network or a model download. Exits non-zero if any check fails.

Checks: every registered runtime imports and reports availability; a demo
model builds in a temp folder; 16 tokens stream through the worker process;
Silero VAD (ONNX Runtime) finds speech in a generated voiced tone, a demo
whisper model transcribes it and espeak-ng speaks (app.cli.selftest_voice),
each in its worker; the main window opens offscreen (in a child process, so
app/ stays Qt-free).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.build_flavour import read_flavour
from app.cli.selftest_voice import check_espeak, check_vad, check_whisper

HELP = "check that runtimes, a demo model, the worker and the window all work"
N_TOKENS = 16


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("selftest", help=HELP, description=HELP)
    parser.add_argument("--skip-window", action="store_true", help="skip the offscreen window check")
    parser.set_defaults(handler=run)


def check_runtimes() -> str:
    from runtimes.registry import all_runtimes

    runtimes = all_runtimes()
    if not runtimes:
        raise RuntimeError("no runtime is registered")
    parts, broken = [], []
    for runtime in runtimes:
        availability = runtime.availability()
        parts.append(f"{runtime.name}: {'available' if availability.ok else 'UNAVAILABLE'} ({availability.reason})")
        if not availability.ok:
            broken.append(runtime.name)
    if broken:
        raise RuntimeError("; ".join(parts))
    return "; ".join(parts)


def build_demo(folder: Path) -> Path:
    from models.demo.factory import build_demo_models

    (model,) = build_demo_models(folder, spec="tiny", quants=("Q4_K_M",), seed=0)[-1:]
    return model.path


def generate_tokens(model: Path) -> str:
    from runtimes.events import Done, Error, Token
    from runtimes.llama_cpp.options import LlamaLoadOptions
    from runtimes.registry import get_runtime
    from runtimes.requests import Sampling, TextRequest

    session = get_runtime("llama.cpp").load(model, LlamaLoadOptions(n_ctx=256))
    try:
        tokens, done = 0, None
        request = TextRequest(prompt="Once upon a time", sampling=Sampling(seed=1, max_tokens=N_TOKENS))
        for event in session.run(request):
            if isinstance(event, Token):
                tokens += 1
            elif isinstance(event, Error):
                raise RuntimeError(event.message)
            elif isinstance(event, Done):
                done = event
        if done is None or done.stats.n_gen != N_TOKENS:
            got = done.stats.n_gen if done else tokens
            raise RuntimeError(f"expected {N_TOKENS} tokens, got {got}")
        stats = done.stats
        speed = f"first {stats.ttft_s * 1000:.0f} ms, {stats.gen_tps:.0f} tok/s"
        return f"{N_TOKENS} tokens in worker pid {session.pid}, {speed}"
    finally:
        session.close()


def describe_bundled_model() -> str:
    """Fails only if the build carries a model whose preset is broken."""
    from app.bundled_model import find_bundled_model

    bundled = find_bundled_model()
    if bundled is None:
        return "none in this build"
    return f"{bundled.name} ({bundled.path.name}, {bundled.path.stat().st_size / 2**20:.1f} MiB)"


def window_command() -> list[str]:
    """The same executable re-run: a hidden argument when frozen, ``-m`` otherwise."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--selftest-window"]
    return [sys.executable, "-m", "ui.shell.selftest_window"]


def open_window() -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(window_command(), env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in result.stdout.splitlines() if line.startswith("window-ok")]
    if result.returncode != 0 or not lines:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"window check exited {result.returncode}: {' | '.join(tail)}")
    return lines[-1].removeprefix("window-ok ").strip()


def _check(name: str, action: Callable[[], str]) -> bool:
    started = time.perf_counter()
    try:
        detail = action()
        ok = True
    except Exception as exc:  # every failure is reported, none stops the others
        detail, ok = f"{type(exc).__name__}: {exc}", False
    print(f"[{'ok' if ok else 'FAIL'}] {name} ({time.perf_counter() - started:.1f} s): {detail}", flush=True)
    return ok


def run(args: argparse.Namespace) -> int:
    print(f"workbench selftest - {read_flavour().describe()}, Python {sys.version.split()[0]}", flush=True)
    results = [_check("runtimes", check_runtimes)]
    results.append(_check("bundled model", describe_bundled_model))
    with tempfile.TemporaryDirectory(prefix="workbench-selftest-") as tmp:
        model: list[Path] = []
        results.append(_check("demo model", lambda: str(model.append(build_demo(Path(tmp))) or model[0].name)))
        if model:
            results.append(_check(f"generate {N_TOKENS} tokens", lambda: generate_tokens(model[0])))
        results.append(_check("onnx vad (Silero)", check_vad))
        results.append(_check("whisper.cpp transcribe", lambda: check_whisper(Path(tmp))))
    results.append(_check("espeak-ng speech", check_espeak))
    if not args.skip_window:
        results.append(_check("main window (offscreen)", open_window))
    failed = results.count(False)
    print(f"selftest: {'PASSED' if not failed else f'{failed} check(s) FAILED'}")
    return 0 if not failed else 1
