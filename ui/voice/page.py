"""Voice page: talk to a model. Microphone (or a recorded file) -> VAD ->
whisper -> LLM -> TTS -> speaker, with the live transcript, the reply as it
streams, and a latency strip per turn.

The pipeline is app.voice (Qt-free); this page picks the four models, owns
the audio devices (ui.voice.run) and shows what the pipeline reports.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app.errors import AudioDeviceError
from app.paths import demo_models_dir
from app.voice.conversation import VoiceConversation
from app.voice.events import (
    BargeIn,
    InputLevel,
    ModelReloaded,
    NothingHeard,
    PartialTranscript,
    ReplyToken,
    TurnFinished,
    UserSaid,
    UserSpeaking,
    VoiceProblem,
)
from app.voice.models.discovery import discover_voice_models
from app.voice.models.loaded import STAGES, ModelChoice, VoiceModels
from app.voice.pipeline import PipelineSettings, VoicePipeline
from models.errors import WorkbenchError
from ui.common.error_banner import ChatErrorBanner
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker
from ui.voice.controls import VoiceControls
from ui.voice.latency_strip import VoiceLatencyStrip
from ui.voice.models_panel import OS_VOICE, VoiceModelsPanel, mib
from ui.voice.run import VoiceRun
from ui.voice.transcript import VoiceTranscript

MEMORY_EVERY_MS = 2000
LIVE_PARTIAL_EVERY_S = 1.0


class VoicePage(QWidget):
    title = "Voice"
    icon = "voice"
    models_loaded = Signal()
    turn_finished = Signal(object)  # TurnFinished
    run_finished = Signal()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.models = VoiceModels()
        self.conversation = VoiceConversation()
        self.pipeline: VoicePipeline | None = None
        self._jobs: dict[str, GeneratorWorker] = {}
        self.run = VoiceRun(self)
        self.run.event.connect(self._on_event)
        self.run.failed.connect(self._show_error)
        self.run.finished.connect(self._on_run_finished)
        self.run.listening_changed.connect(self._on_listening_changed)

        self.banner = ChatErrorBanner()
        self.panel = VoiceModelsPanel()
        self.panel.load_clicked.connect(self.load_models)
        self.panel.download_clicked.connect(self.download)
        self.panel.whisper_download_clicked.connect(self.download_whisper)
        self.controls = VoiceControls()
        self.controls.listen_toggled.connect(self._on_listen_toggled)
        self.controls.talk_pressed.connect(lambda: self.run.talk(True))
        self.controls.talk_released.connect(lambda: self.run.talk(False))
        self.controls.file_chosen.connect(self.run_file)
        self.run.level.connect(self.controls.set_level)
        self.strip = VoiceLatencyStrip()
        self.transcript = VoiceTranscript()

        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.panel)
        column.addWidget(self.controls)
        column.addStretch(1)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.strip)
        column.addWidget(self.transcript, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([460, 640])
        header = QLabel("<b>Voice</b> — speak to a local model: voice activity detection, whisper, the LLM and "
                        "a voice, each in its own process. Use headphones for barge-in.")
        header.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)

        self._memory_timer = QTimer(self, interval=MEMORY_EVERY_MS)
        self._memory_timer.timeout.connect(self._update_memory)
        self._memory_timer.start()
        self._shown = False  # devices and models are looked up when the page is first shown

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            self.controls.refresh_devices()
            self.discover()

    @property
    def busy(self) -> bool:
        return bool(self._jobs) or self.run.running

    # ---- models -------------------------------------------------------------------------------------------

    def discover(self) -> None:
        from ui.voice.os_voice import os_voice_engines

        settings = self.ctx.settings
        engines = os_voice_engines()

        def job(cancel):
            yield discover_voice_models(Path(settings.models_dir), [demo_models_dir()], settings.recent_models)

        self._start_job("discover", job, lambda found: self.panel.set_discovery(found, engines))

    def load_models(self, choices: dict[str, ModelChoice | str] | None = None) -> None:
        """Load every stage (the panel's picks unless ``choices`` are given)."""
        try:
            choices = choices or self.panel.choices()
        except WorkbenchError as exc:
            self._show_error(str(exc))
            return
        tts = choices.get("tts")
        if isinstance(tts, str) and tts.startswith(OS_VOICE):
            try:
                self._use_os_voice(tts.split(":", 1)[1])
            except WorkbenchError as exc:
                self._show_error(str(exc))
                return
            choices = {k: v for k, v in choices.items() if k != "tts"}
        self.banner.clear()
        self.panel.set_busy(True)
        self.panel.status.setText("Loading…")

        def job(cancel):
            for stage, choice in choices.items():
                if cancel.cancelled:
                    return
                yield stage, choice, self.models.load(stage, choice, cancel)

        def loaded(item) -> None:
            stage, choice, seconds = item
            self.panel.set_memory(stage, mib(self.models.memory(stage)))
            self.panel.status.setText(f"{stage.upper()}: {choice.name} loaded in {seconds:.1f} s")

        self._start_job("load", job, loaded, self._after_load)

    def _use_os_voice(self, engine: str) -> None:
        from ui.voice.os_voice import OsVoiceSession

        session = OsVoiceSession(engine, self.panel.voice_edit.text().strip())
        self.models.use_session("tts", session, ModelChoice(OS_VOICE, Path(engine), None, f"OS voice ({engine})"))

    def _after_load(self) -> None:
        self.panel.set_busy(False)
        missing = self.models.missing()
        if not missing:
            self.panel.status.setText("All four models are loaded: press Listen or run a recorded file.")
            self.models_loaded.emit()
        self._update_memory()

    def _update_memory(self) -> None:
        for stage in STAGES:
            choice = self.models.choices.get(stage)
            if stage == "vad" and self.models.vad_model is not None:
                text = f"{mib(self.models.memory('vad'))} (in-app)"
            elif stage == "tts" and choice is None and self.models.tts is not None:
                text = "OS service"
            else:
                memory = self.models.memory(stage)
                text = "not loaded" if memory is None else f"{mib(memory)} worker"
            self.panel.set_memory(stage, text)

    def download(self, engine: str) -> None:
        # Imported here: the Hub client and httpx cost ~0.3 s, not worth paying at startup.
        from app.voice.models.download import download_voice
        from models.download.jobs import JobProgress

        self.panel.set_busy(True)

        def progress(event) -> None:
            if isinstance(event, JobProgress) and event.total:
                self.panel.status.setText(f"Downloading {engine}: {event.done / 2**20:.0f} of "
                                          f"{event.total / 2**20:.0f} MiB")

        def done() -> None:
            self.panel.set_busy(False)
            self.discover()

        self._start_job("download", lambda cancel: download_voice(engine, cancel), progress, done)

    def download_whisper(self, name: str) -> None:
        """Download the suggested whisper.cpp model ``name`` (verified), then offer it."""
        from app.voice.models.download import download_whisper
        from models.download.jobs import JobDone, JobProgress

        self.panel.set_busy(True)

        def progress(event) -> None:
            if isinstance(event, JobProgress) and event.total:
                self.panel.status.setText(f"Downloading whisper {name}: {event.done / 2**20:.0f} of "
                                          f"{event.total / 2**20:.0f} MiB")
            elif isinstance(event, JobDone):
                self.panel.status.setText(f"whisper {name} downloaded and verified.")

        def done() -> None:
            self.panel.set_busy(False)
            self.discover()

        self._start_job("download", lambda cancel: download_whisper(name, cancel), progress, done)

    def _start_job(self, name: str, job, on_yield, on_done=None) -> None:
        def finish() -> None:
            self._jobs.pop(name, None)
            if on_done:
                on_done()

        self._jobs[name] = start_worker(job, on_yield=on_yield,
                                        on_error=lambda exc, details: self._show_error(str(exc), details),
                                        on_finish=finish)

    # ---- running ------------------------------------------------------------------------------------------

    def _pipeline(self, live: bool) -> VoicePipeline | None:
        if self.models.missing():
            names = ", ".join(s.upper() for s in self.models.missing())
            self._show_error(f"Load the models first ({names} not loaded).")
            return None
        settings = PipelineSettings(partial_every_s=LIVE_PARTIAL_EVERY_S if live else 0.0,
                                    barge_in=self.controls.barge_in.isChecked())
        if self.pipeline is None:  # one for the page: turn numbers and the conversation run on across runs
            self.pipeline = VoicePipeline(self.models, settings, self.conversation)
        self.pipeline.settings = settings
        return self.pipeline

    def run_file(self, path: str | Path) -> None:
        pipeline = self._pipeline(live=False)
        if pipeline is None:
            return
        self.banner.clear()
        try:
            self.run.start_file(pipeline, path, self.controls.output_id)
        except WorkbenchError as exc:
            self._show_error(str(exc))
            return
        self.controls.set_running(True)

    def _on_listen_toggled(self, on: bool) -> None:
        if not on:
            self.run.stop()
            return
        pipeline = self._pipeline(live=True)
        if pipeline is None:
            self.controls.set_listening(False)
            return

        def answered(granted: bool, message: str) -> None:
            if not granted:
                self._show_error(message)
                self.controls.set_listening(False)
                return
            self.run.push_to_talk = self.controls.push_to_talk
            try:
                self.run.start_live(pipeline, self.controls.input_id, self.controls.output_id)
            except (AudioDeviceError, WorkbenchError) as exc:
                self._show_error(str(exc)[:1].upper() + str(exc)[1:] + ".")
                self.controls.set_listening(False)
                return
            self.banner.clear()
            self.controls.set_running(True)

        from ui.voice.audio_io import microphone_permission

        microphone_permission(answered)

    def _on_listening_changed(self, listening: bool) -> None:
        self.controls.set_listening(listening)

    def _on_event(self, event) -> None:
        if isinstance(event, InputLevel):
            self.controls.set_speech(event.speaking, event.probability)
        elif isinstance(event, UserSpeaking):
            self.transcript.user_speaking(event.turn)
        elif isinstance(event, PartialTranscript):
            self.transcript.partial(event.turn, event.text)
        elif isinstance(event, UserSaid):
            self.transcript.user_said(event.turn, event.text)
        elif isinstance(event, ReplyToken):
            self.transcript.reply_token(event.turn, event.text)
        elif isinstance(event, BargeIn):
            self.transcript.note(event.turn, f"interrupted: you spoke over the reply "
                                             f"({event.dropped_audio_s:.1f} s of speech dropped)")
        elif isinstance(event, NothingHeard):
            self.transcript.note(event.turn, event.reason)
            self.panel.status.setText(event.reason[:1].upper() + event.reason[1:] + ".")
        elif isinstance(event, VoiceProblem):
            self._show_error(event.message[:1].upper() + event.message[1:] + ".")
        elif isinstance(event, ModelReloaded):
            self.panel.status.setText(f"{event.stage.upper()} model reloaded in {event.seconds:.1f} s; "
                                      "the conversation goes on.")
        elif isinstance(event, TurnFinished):
            self.strip.show_turn(event.timeline)
            if self.run.reply_path is not None:
                self.panel.status.setText(f"No speaker: the reply was written to {self.run.reply_path}")
            self.turn_finished.emit(event)

    def _on_run_finished(self) -> None:
        self.controls.set_listening(False)
        self.controls.set_running(False)
        self.transcript.flush()
        self.run_finished.emit()

    def _show_error(self, message: str, details: str = "") -> None:
        """One error, shown once: the same message again (say the microphone failing and the run
        ending because of it) does not repeat it, and neither does one the device note already says."""
        same = " ".join(message.lower().rstrip(".").split())
        shown = " ".join(self.banner.message.lower().rstrip(".").split())
        note = self.controls.device_note.text().lower() if self.controls.device_note.isVisibleTo(self) else ""
        if (shown and (same in shown or shown in same)) or (same and same in note):
            return
        self.banner.show_error(message, details if details.strip() != message.strip() else "")

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop every run and job, wait for them (their threads use the models), then close the models."""
        import time

        from PySide6.QtCore import QCoreApplication

        self._memory_timer.stop()
        self.run.cancel()
        for worker in list(self._jobs.values()):
            worker.quit()
        deadline = time.monotonic() + timeout_s
        while self.busy and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        self.models.close()
