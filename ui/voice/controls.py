"""Audio controls of the Voice page: input and output device, a level meter
with the VAD's verdict, hands-free or push-to-talk, Listen/Stop, and running
a recorded file instead of the microphone."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
)

HANDS_FREE, PUSH_TO_TALK = "Hands-free", "Push-to-talk"
FLOOR_DB = -60.0


def level_percent(rms: float) -> int:
    """RMS in [0, 1] as 0..100 on a dBFS scale from -60 dB to 0 dB."""
    if rms <= 0:
        return 0
    db = 20 * math.log10(rms)
    return int(round(max(0.0, min(1.0, (db - FLOOR_DB) / -FLOOR_DB)) * 100))


class VoiceControls(QGroupBox):
    listen_toggled = Signal(bool)
    talk_pressed = Signal()
    talk_released = Signal()
    file_chosen = Signal(str)

    def __init__(self) -> None:
        super().__init__("Audio")
        self._running = False  # a file or live run is active
        self.input_combo = QComboBox()
        self.output_combo = QComboBox()
        refresh = QToolButton(text="⟳", toolTip="Look for audio devices again")
        refresh.clicked.connect(self.refresh_devices)
        self.meter = QProgressBar(textVisible=False, maximum=100)
        self.meter.setFixedHeight(10)
        self.meter.setToolTip("Microphone level (dBFS)")
        self.speech_label = QLabel("")
        self.mode_combo = QComboBox()
        self.mode_combo.addItems([HANDS_FREE, PUSH_TO_TALK])
        self.mode_combo.setToolTip("Hands-free: the VAD finds where you start and stop. Push-to-talk: hold Talk.")
        self.barge_in = QCheckBox("Barge-in", checked=True)
        self.barge_in.setToolTip("Speaking while the assistant talks stops it (use headphones, or the "
                                 "assistant may hear itself)")
        self.listen_button = QPushButton("Listen", checkable=True)
        self.listen_button.toggled.connect(self._on_listen)
        self.talk_button = QPushButton("Hold to talk")
        self.talk_button.pressed.connect(self.talk_pressed)
        self.talk_button.released.connect(self.talk_released)
        self.file_button = QPushButton("Run a recorded file…")
        self.file_button.clicked.connect(self._choose_file)
        self.device_note = QLabel("")
        self.device_note.setWordWrap(True)

        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        grid.addWidget(QLabel("Microphone"), 0, 0)
        grid.addWidget(self.input_combo, 0, 1)
        grid.addWidget(refresh, 0, 2)
        grid.addWidget(QLabel("Speaker"), 1, 0)
        grid.addWidget(self.output_combo, 1, 1)
        level = QHBoxLayout()
        level.addWidget(self.meter, 1)
        level.addWidget(self.speech_label)
        grid.addWidget(QLabel("Level"), 2, 0)
        grid.addLayout(level, 2, 1, 1, 2)
        buttons = QHBoxLayout()
        for widget in (self.mode_combo, self.barge_in, self.listen_button, self.talk_button, self.file_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        grid.addLayout(buttons, 3, 0, 1, 3)
        grid.addWidget(self.device_note, 4, 0, 1, 3)
        self.mode_combo.currentTextChanged.connect(self._update_buttons)
        self._update_buttons()  # devices are listed by refresh_devices(), when the page is first shown

    @staticmethod
    def _fill(combo: QComboBox, devices: list, none_text: str) -> None:
        current = combo.currentData()
        combo.clear()
        for device in devices:
            combo.addItem(device.name + (" (default)" if device.is_default else ""), device.id)
        if not devices:
            combo.addItem(none_text, None)
        index = combo.findData(current) if current is not None else -1
        default = next((i for i, d in enumerate(devices) if d.is_default), 0)
        combo.setCurrentIndex(index if index >= 0 else default)

    def refresh_devices(self) -> None:
        from ui.voice.audio_io import input_devices, output_devices  # QtMultimedia: loaded on first use

        inputs, outputs = input_devices(), output_devices()
        self._fill(self.input_combo, inputs, "No microphone found")
        self._fill(self.output_combo, outputs, "No speaker found (replies are saved as WAV files)")
        notes = []
        if not inputs:
            notes.append("No microphone found: connect one (or start the sound system), or run a recorded file.")
        if not outputs:
            notes.append("No speaker found: replies are written to WAV files.")
        self.device_note.setText(" ".join(notes))
        self.device_note.setVisible(bool(notes))
        self._update_buttons()

    @property
    def input_id(self) -> bytes | None:
        return self.input_combo.currentData()

    @property
    def output_id(self) -> bytes | None:
        return self.output_combo.currentData()

    @property
    def push_to_talk(self) -> bool:
        return self.mode_combo.currentText() == PUSH_TO_TALK

    def set_level(self, rms: float) -> None:
        self.meter.setValue(level_percent(rms))

    def set_speech(self, speaking: bool, probability: float) -> None:
        self.speech_label.setText(f"● speech {probability:.2f}" if speaking else f"○ {probability:.2f}")

    def set_listening(self, listening: bool) -> None:
        """Reflect the state without re-emitting (e.g. after the device failed)."""
        self.listen_button.blockSignals(True)
        self.listen_button.setChecked(listening)
        self.listen_button.setText("Stop" if listening else "Listen")
        self.listen_button.blockSignals(False)
        if not listening:
            self.meter.setValue(0)
            self.speech_label.setText("")
        self._update_buttons()

    def set_running(self, running: bool) -> None:
        """While any run is active, the file button and the devices are fixed."""
        for widget in (self.file_button, self.input_combo, self.output_combo, self.mode_combo):
            widget.setEnabled(not running)
        self._running = running
        self._update_buttons()

    def _on_listen(self, checked: bool) -> None:
        self.listen_button.setText("Stop" if checked else "Listen")
        self._update_buttons()
        self.listen_toggled.emit(checked)

    def _update_buttons(self) -> None:
        has_input = self.input_id is not None
        listening = self.listen_button.isChecked()
        self.listen_button.setEnabled(listening or (has_input and not self._running))
        self.listen_button.setToolTip(
            "Stop listening" if listening else
            "No microphone found: connect one (or start the sound system), or run a recorded file" if not has_input
            else "A run is active" if self._running else "Listen on the chosen microphone")
        self.talk_button.setVisible(self.push_to_talk)
        self.talk_button.setEnabled(self.listen_button.isChecked())

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Run a recorded file", "",
                                              "Audio (*.wav *.flac *.ogg *.mp3);;All files (*)")
        if path:
            self.file_chosen.emit(path)
