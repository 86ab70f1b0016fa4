"""A PNG of the Voice page after a real turn, with the demo models.

    python -m tools.screenshots.voice OUT.png     # under Xvfb, or QT_QPA_PLATFORM=offscreen

Builds the demo LLM and the synthetic whisper model, speaks a question with
espeak-ng, loads Silero VAD, whisper, the LLM and espeak-ng on the Voice
page, runs the file through it twice (a warm-up turn, then the one the strip
shows) and grabs the window.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

QUESTION = "Hello there. Could you tell me something nice about the weather?"


def _wait_for(signal, timeout_s: float) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def _settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(argv: list[str] | None = None) -> int:
    from app.voice.models.choice import llm_choice, stt_choice, tts_choice, vad_choice
    from app.voice.spoken_file import spoken_wav
    from models.demo.factory import build_demo_models
    from models.demo.whisper import write_whisper_model
    from runtimes.requests import Sampling
    from ui.shell.app import create_window

    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else tempfile.mktemp(prefix="voice-page-", suffix=".png"))
    work = Path(tempfile.mkdtemp(prefix="workbench-voice-shot-"))
    llm = next(m.path for m in build_demo_models(work, spec="tiny", quants=("Q4_K_M",)) if m.quant == "Q4_K_M")
    whisper = write_whisper_model(work / "whisper-demo.bin")
    wav, _, _ = spoken_wav(work / "question.wav", QUESTION, lead_s=0.8, tail_s=0.5)

    app = QApplication.instance() or QApplication(["workbench-voice-screenshot"])
    window = create_window()
    window.resize(1280, 820)
    window.show()
    window.show_page("Voice")
    page = window.pages["Voice"]
    deadline = time.monotonic() + 60
    while page.busy and time.monotonic() < deadline:
        _settle(50)
    for stage, path in (("stt", whisper), ("llm", llm)):
        page.panel.select(stage, path)
    threads = max(1, (os.cpu_count() or 2) // 2)  # STT, LLM and the GUI share the cores
    page.load_models({"vad": vad_choice(), "stt": stt_choice(whisper, n_threads=threads),
                      "llm": llm_choice(llm, 1024, n_threads=threads), "tts": tts_choice("espeak")})
    _wait_for(page.models_loaded, 120)
    page.models.llm.sampling = Sampling(max_tokens=64, temperature=0.7, seed=4)
    for _ in range(2):  # the first turn warms every stage up; the strip then shows both
        page.run_file(wav)
        _wait_for(page.run_finished, 120)
    page._update_memory()
    page.transcript.flush()
    _settle()
    if not window.grab().save(str(out), "PNG"):
        raise OSError(f"could not write {out}")
    print(json.dumps({"platform": app.platformName(), "file": str(out), "strip": page.strip.text(),
                      "banner": page.banner.message}))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
