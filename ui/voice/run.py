"""Runs the voice pipeline off the GUI thread with real audio devices: the
microphone feeds a PushSource, the speaker plays a PlaybackSink, or a file
is the source. Pipeline events arrive as the ``event`` signal."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.errors import AudioDeviceError
from app.paths import data_dir
from app.voice.pipeline import VoicePipeline
from app.voice.sinks import WavFileSink
from app.voice.sources import FileSource, PushSource
from ui.shell.workers import GeneratorWorker, start_worker


def reply_file() -> Path:
    """Where a reply goes when there is no speaker."""
    return data_dir() / "voice-replies" / f"reply-{time.strftime('%Y%m%d-%H%M%S')}.wav"


class VoiceRun(QObject):
    event = Signal(object)  # a VoiceEvent
    failed = Signal(str, str)  # message, details
    finished = Signal()
    listening_changed = Signal(bool)
    level = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._capture = None
        self._playback = None
        self.source: PushSource | None = None
        self.sink = None
        self.reply_path: Path | None = None
        self.push_to_talk = False
        self._talking = False
        self._worker: GeneratorWorker | None = None

    @property
    def running(self) -> bool:
        return self._worker is not None

    @property
    def capture(self):
        """The microphone (QtMultimedia is imported on first use, not at startup)."""
        if self._capture is None:
            from ui.voice.audio_io import MicrophoneCapture

            self._capture = MicrophoneCapture(self._on_frames, self)
            self._capture.level.connect(self.level)
            self._capture.failed.connect(self._on_capture_failed)
        return self._capture

    @property
    def playback(self):
        if self._playback is None:
            from ui.voice.audio_io import SpeakerPlayback

            self._playback = SpeakerPlayback(self)
            self._playback.failed.connect(lambda message: self.failed.emit(message, ""))
        return self._playback

    @property
    def listening(self) -> bool:
        return self._capture is not None and self._capture.running

    def _make_sink(self, output_id: bytes | None):
        """The speaker when there is one, else a WAV file (named in reply_path)."""
        from ui.voice.audio_io import output_devices

        self.reply_path = None
        if output_devices():
            try:
                return self.playback.start(output_id)
            except AudioDeviceError as exc:
                self.failed.emit(f"{exc}; the reply goes to a WAV file instead", "")
        self.reply_path = reply_file()
        return WavFileSink(self.reply_path)

    def start_file(self, pipeline: VoicePipeline, path: str | Path, output_id: bytes | None = None) -> None:
        source = FileSource(path)  # not audio: raises here, before anything starts
        self._start(pipeline, source, self._make_sink(output_id))

    def start_live(self, pipeline: VoicePipeline, input_id: bytes | None, output_id: bytes | None) -> None:
        """Open the microphone (AudioDeviceError when there is none) and listen."""
        fmt = self.capture.start(input_id)
        self.source = PushSource(fmt.sampleRate(), fmt.channelCount())
        self._start(pipeline, self.source, self._make_sink(output_id))
        self.listening_changed.emit(True)

    def _start(self, pipeline: VoicePipeline, source, sink) -> None:
        if self.running:
            raise RuntimeError("a voice run is already active")
        self.sink = sink

        def job(cancel):
            return pipeline.run(source, sink, cancel)

        self._worker = start_worker(job, on_yield=self.event.emit, on_error=self._on_error,
                                    on_finish=self._on_finish)

    def stop(self) -> None:
        """Stop listening; a reply in progress finishes (file runs: cancel)."""
        if self.listening:
            self._capture.stop()
            self.listening_changed.emit(False)
        if self.source is not None:
            self.source.end()
        elif self._worker is not None:
            self._worker.quit()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.quit()
        if self.source is not None:
            self.source.end()
        if self._capture is not None:
            self._capture.stop()
        if self.sink is not None:
            self.sink.stop()

    def talk(self, pressed: bool) -> None:
        """Push-to-talk: frames pass only while Talk is held; letting go ends the utterance."""
        self._talking = pressed
        if not pressed and self.source is not None:
            self.source.end_utterance()

    def _on_frames(self, frames) -> None:
        if self.source is not None and (self._talking or not self.push_to_talk):
            self.source.push(frames)

    def _on_capture_failed(self, message: str) -> None:
        self.listening_changed.emit(False)
        if self.source is not None:
            self.source.fail(message)  # the pipeline reports it and ends; the models stay loaded

    def _on_error(self, exc: Exception, details: str) -> None:
        self.failed.emit(str(exc) or type(exc).__name__, details)

    def _on_finish(self) -> None:
        self._worker = None
        self.source = None
        if self._capture is not None:
            self._capture.stop()
        self.finished.emit()
