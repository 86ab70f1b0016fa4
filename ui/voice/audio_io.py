"""Microphone and speaker through QtMultimedia, as numpy frames for the voice
pipeline (app.voice): the microphone pushes into a PushSource, the speaker
pulls from a PlaybackSink. Qt lives here only; the pipeline never sees it.

Every failure is a sentence for the user: no microphone, permission refused,
a device that disappears or stops mid-stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtMultimedia import QAudio, QAudioDevice, QAudioFormat, QAudioSink, QAudioSource, QMediaDevices

from app.voice.sinks import PlaybackSink

_DTYPES = {
    QAudioFormat.SampleFormat.UInt8: np.uint8,
    QAudioFormat.SampleFormat.Int16: np.int16,
    QAudioFormat.SampleFormat.Int32: np.int32,
    QAudioFormat.SampleFormat.Float: np.float32,
}
PLAYBACK_TICK_MS = 20


@dataclass(frozen=True)
class DeviceInfo:
    id: bytes
    name: str
    is_default: bool


def input_devices() -> list[DeviceInfo]:
    default = QMediaDevices.defaultAudioInput().id()
    return [DeviceInfo(bytes(d.id()), d.description(), d.id() == default) for d in QMediaDevices.audioInputs()]


def output_devices() -> list[DeviceInfo]:
    default = QMediaDevices.defaultAudioOutput().id()
    return [DeviceInfo(bytes(d.id()), d.description(), d.id() == default) for d in QMediaDevices.audioOutputs()]


def _find(devices: list[QAudioDevice], device_id: bytes | None) -> QAudioDevice | None:
    for device in devices:
        if device_id is None or bytes(device.id()) == device_id:
            return device
    return None


def microphone_permission(on_answer: Callable[[bool, str], None]) -> None:
    """Ask the OS for the microphone where it gates it (macOS, Windows, Flatpak);
    ``on_answer(granted, message)`` is called once, maybe later."""
    try:
        from PySide6.QtCore import QMicrophonePermission
    except ImportError:  # Qt built without the permission API: nothing gates the microphone
        on_answer(True, "")
        return
    app = QCoreApplication.instance()
    permission = QMicrophonePermission()
    refused = ("microphone permission refused: allow Workbench to use the microphone in the system's "
               "privacy settings, then press Listen again")
    status = app.checkPermission(permission)
    if status == Qt.PermissionStatus.Granted:
        on_answer(True, "")
    elif status == Qt.PermissionStatus.Denied:
        on_answer(False, refused)
    else:
        app.requestPermission(permission, lambda p: on_answer(app.checkPermission(p) == Qt.PermissionStatus.Granted,
                                                               refused))


def _format_for(device: QAudioDevice, rate: int) -> QAudioFormat:
    """Mono int16 at ``rate`` when the device takes it, else its preferred format."""
    wanted = QAudioFormat()
    wanted.setSampleRate(rate)
    wanted.setChannelCount(1)
    wanted.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return wanted if device.isFormatSupported(wanted) else device.preferredFormat()


class MicrophoneCapture(QObject):
    """Reads the chosen input device and hands each block of frames to ``on_frames``
    (numpy, (n,) or (n, channels)); ``level`` is the RMS in [0, 1] per block."""

    level = Signal(float)
    failed = Signal(str)

    def __init__(self, on_frames: Callable[[np.ndarray], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_frames = on_frames
        self._source: QAudioSource | None = None
        self._io = None
        self._device: QAudioDevice | None = None
        self.format: QAudioFormat | None = None
        self._devices = QMediaDevices(self)
        self._devices.audioInputsChanged.connect(self._check_device_still_there)

    @property
    def running(self) -> bool:
        return self._source is not None

    def start(self, device_id: bytes | None = None, rate: int = 16000) -> QAudioFormat:
        """Open the device; raises AudioDeviceError (via ValueError text) when there is none."""
        from app.errors import AudioDeviceError

        devices = QMediaDevices.audioInputs()
        if not devices:
            raise AudioDeviceError("no microphone found: connect one (or check that the sound system is running), "
                                   "or run a recorded file instead")
        device = _find(devices, device_id)
        if device is None:
            raise AudioDeviceError("the chosen microphone is no longer connected; pick another input device")
        self.stop()
        self.format = _format_for(device, rate)
        self._device = device
        self._source = QAudioSource(device, self.format, self)
        self._source.stateChanged.connect(self._on_state)
        self._io = self._source.start()
        if self._io is None or self._source.error() != QAudio.Error.NoError:
            name = device.description()
            self.stop()
            raise AudioDeviceError(f"could not open the microphone '{name}' (it may be in use or access was denied)")
        self._io.readyRead.connect(self._read)
        return self.format

    def stop(self) -> None:
        source, self._source, self._io = self._source, None, None
        if source is not None:
            source.stateChanged.disconnect(self._on_state)
            source.stop()
            source.deleteLater()

    def _read(self) -> None:
        if self._io is None or self.format is None:
            return
        data = bytes(self._io.readAll())
        dtype = _DTYPES.get(self.format.sampleFormat())
        if not data or dtype is None:
            return
        samples = np.frombuffer(data, dtype=dtype)
        channels = self.format.channelCount()
        if channels > 1:
            samples = samples[: len(samples) - len(samples) % channels].reshape(-1, channels)
        self._on_frames(samples)
        scale = 1.0 if dtype is np.float32 else float(np.iinfo(dtype).max)
        self.level.emit(float(np.sqrt(np.mean(np.square(samples.astype(np.float32) / scale)))))

    def _on_state(self, state) -> None:
        source = self._source
        if source is None or state != QAudio.State.StoppedState or source.error() == QAudio.Error.NoError:
            return
        name = self._device.description() if self._device else "the microphone"
        error = source.error().name
        self.stop()
        self.failed.emit(f"the microphone '{name}' stopped delivering audio ({error}); "
                         "pick an input device and press Listen again")

    def _check_device_still_there(self) -> None:
        if self._device is None or self._source is None:
            return
        if _find(QMediaDevices.audioInputs(), bytes(self._device.id())) is None:
            name = self._device.description()
            self.stop()
            self.failed.emit(f"the microphone '{name}' was disconnected; pick another input device and press "
                             "Listen again (the models stay loaded)")


class SpeakerPlayback(QObject):
    """Feeds the chosen output device from a PlaybackSink, a tick at a time."""

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sink: PlaybackSink | None = None
        self._audio: QAudioSink | None = None
        self._io = None
        self._device: QAudioDevice | None = None
        self._timer = QTimer(self, interval=PLAYBACK_TICK_MS)
        self._timer.timeout.connect(self._pump)
        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._check_device_still_there)

    @property
    def running(self) -> bool:
        return self._audio is not None

    def start(self, device_id: bytes | None = None, rate: int = 24000) -> PlaybackSink:
        from app.errors import AudioDeviceError

        devices = QMediaDevices.audioOutputs()
        if not devices:
            raise AudioDeviceError("no speaker or headphones found; replies are saved as WAV files instead")
        device = _find(devices, device_id)
        if device is None:
            raise AudioDeviceError("the chosen output device is no longer connected; pick another one")
        self.stop()
        fmt = _format_for(device, rate)
        self._device = device
        self._audio = QAudioSink(device, fmt, self)
        self._io = self._audio.start()
        if self._io is None:
            self.stop()
            raise AudioDeviceError(f"could not open the output device '{device.description()}'")
        self.format = fmt
        self.sink = PlaybackSink(fmt.sampleRate())
        self._timer.start()
        return self.sink

    def stop(self) -> None:
        self._timer.stop()
        audio, self._audio, self._io = self._audio, None, None
        if audio is not None:
            audio.stop()
            audio.deleteLater()

    def _pump(self) -> None:
        if self._audio is None or self._io is None or self.sink is None:
            return
        fmt = self.format
        frame_bytes = max(1, fmt.bytesPerFrame())
        free = self._audio.bytesFree() // frame_bytes
        samples = self.sink.pull(free) if free else np.zeros(0, np.float32)
        if not samples.size:
            return
        channels = fmt.channelCount()
        if channels > 1:
            samples = np.repeat(samples[:, None], channels, axis=1).reshape(-1)
        dtype = _DTYPES.get(fmt.sampleFormat(), np.int16)
        if dtype is np.float32:
            data = samples.astype(np.float32).tobytes()
        elif dtype is np.uint8:
            data = ((np.clip(samples, -1, 1) * 127) + 128).astype(np.uint8).tobytes()
        else:
            data = (np.clip(samples, -1, 1) * np.iinfo(dtype).max).astype(dtype).tobytes()
        self._io.write(data)

    def _check_device_still_there(self) -> None:
        if self._device is None or self._audio is None:
            return
        if _find(QMediaDevices.audioOutputs(), bytes(self._device.id())) is None:
            name = self._device.description()
            self.stop()
            self.failed.emit(f"the output device '{name}' was disconnected; pick another one")
