"""The Voice page's model pickers: VAD, STT, LLM and TTS, each with the
memory its worker process uses, a Browse… button, and for catalog voices and
the suggested whisper.cpp models that are not on disk yet, a Download button."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
)

from app.voice.models.choice import llm_choice, stt_choice, tts_choice, vad_choice
from app.voice.models.discovery import TtsOption, VoiceDiscovery, WhisperOption
from app.voice.models.loaded import STAGES, ModelChoice
from models.errors import WorkbenchError

TITLES = {"vad": "Voice activity", "stt": "Speech to text", "llm": "Language model", "tts": "Voice"}
FILTERS = {"vad": "Silero VAD (*.onnx)", "stt": "whisper.cpp models (*.bin)", "llm": "GGUF models (*.gguf)",
           "tts": "Kokoro / Piper voices (*.onnx)"}
OS_VOICE = "os-voice"
WHISPER = "whisper:"  # STT combo data for a suggested catalog model: "whisper:base.en"


def mib(n: int | None) -> str:
    return "—" if n is None else f"{n / 2**20:.0f} MiB"


class VoiceModelsPanel(QGroupBox):
    load_clicked = Signal()
    download_clicked = Signal(str)  # catalog engine
    whisper_download_clicked = Signal(str)  # whisper catalog name

    def __init__(self) -> None:
        super().__init__("Models")
        self.combos: dict[str, QComboBox] = {}
        self.memory: dict[str, QLabel] = {}
        self.tts_options: dict[int, TtsOption] = {}
        self.whisper_options: dict[str, WhisperOption] = {}
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        for row, stage in enumerate(STAGES):
            combo = QComboBox()
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            combo.setMinimumContentsLength(18)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            browse = QToolButton(text="…", toolTip=f"Choose a file ({FILTERS[stage]})")
            browse.clicked.connect(lambda _=False, s=stage: self._browse(s))
            memory = QLabel("not loaded")
            memory.setMinimumWidth(110)
            memory.setToolTip("Resident memory of the stage's worker process")
            grid.addWidget(QLabel(TITLES[stage]), row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(browse, row, 2)
            grid.addWidget(memory, row, 3)
            self.combos[stage], self.memory[stage] = combo, memory
        self.voice_edit = QLineEdit(placeholderText="voice (optional): en-us, af_heart, a speaker…")
        self.download_button = QPushButton("Download voice")
        self.download_button.clicked.connect(self._download)
        self.stt_download_button = QPushButton("Download whisper model")
        self.stt_download_button.clicked.connect(self._download_whisper)
        self.load_button = QPushButton("Load models")
        self.load_button.clicked.connect(self.load_clicked)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        row = len(STAGES)
        grid.addWidget(self.voice_edit, row, 1)
        grid.addWidget(self.download_button, row, 3)
        grid.addWidget(self.stt_download_button, row + 1, 1, 1, 3, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.status, row + 2, 0, 1, 3)
        grid.addWidget(self.load_button, row + 2, 3, Qt.AlignmentFlag.AlignRight)
        self.combos["tts"].currentIndexChanged.connect(self._update_download)
        self.combos["stt"].currentIndexChanged.connect(self._update_download)
        self._update_download()

    def set_discovery(self, found: VoiceDiscovery, os_engines: list[str]) -> None:
        stt_previous = self.combos["stt"].currentData()
        for stage in ("vad", "stt", "llm"):
            self._fill(stage, getattr(found, stage))
        self._add_whisper_options(found.whisper, stt_previous)
        combo = self.combos["tts"]
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        self.tts_options.clear()
        for option in found.tts:
            combo.addItem(option.title, option.engine)
            self.tts_options[combo.count() - 1] = option
        for engine in os_engines:
            combo.addItem(f"OS voice ({engine})", f"{OS_VOICE}:{engine}")
        index = combo.findData(current) if current else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        self._update_download()

    def _fill(self, stage: str, paths: list[Path]) -> None:
        combo = self.combos[stage]
        current = combo.currentData()
        combo.clear()
        for path in paths:
            self._add(stage, Path(path))
        index = combo.findData(current) if current else -1
        combo.setCurrentIndex(index if index >= 0 else (0 if combo.count() else -1))

    def _add_whisper_options(self, options: list[WhisperOption], previous: str | None) -> None:
        """The suggested whisper.cpp models after the files found, downloaded or not."""
        combo = self.combos["stt"]
        self.whisper_options = {}
        for option in options:
            data = WHISPER + option.name
            self.whisper_options[data] = option
            combo.addItem(option.title, data)
            tip = str(option.path) if option.path else f"whisper.cpp's {option.name} from ggerganov/whisper.cpp"
            combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        index = combo.findData(previous) if previous else -1
        if index >= 0:
            combo.setCurrentIndex(index)
        elif combo.currentIndex() < 0 and combo.count():
            combo.setCurrentIndex(0)
        self._update_download()

    def _add(self, stage: str, path: Path) -> None:
        combo = self.combos[stage]
        combo.addItem(path.name, str(path))
        combo.setItemData(combo.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)

    def select(self, stage: str, path: str | Path) -> None:
        combo = self.combos[stage]
        index = combo.findData(str(path))
        if index < 0:
            self._add(stage, Path(path))
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def _browse(self, stage: str) -> None:
        start = str(Path(self.combos[stage].currentData() or Path.home()).parent)
        path, _ = QFileDialog.getOpenFileName(self, f"Choose the {TITLES[stage].lower()} model", start,
                                              f"{FILTERS[stage]};;All files (*)")
        if path:
            self.select(stage, path)

    def selected_tts(self) -> tuple[str, TtsOption | None]:
        combo = self.combos["tts"]
        return str(combo.currentData() or ""), self.tts_options.get(combo.currentIndex())

    def _update_download(self) -> None:
        _, option = self.selected_tts()
        needs = option is not None and option.path is None and option.engine != "espeak"
        self.download_button.setVisible(needs)
        self.download_button.setToolTip(option.problem if needs and option else "")
        whisper = self.whisper_options.get(self.combos["stt"].currentData() or "")
        needs_stt = whisper is not None and whisper.path is None
        self.stt_download_button.setVisible(needs_stt)
        if needs_stt:
            self.stt_download_button.setText(f"Download whisper {whisper.name}")
            self.stt_download_button.setToolTip(f"{whisper.title}: downloaded from ggerganov/whisper.cpp, "
                                                "verified (the Hub's SHA-256 and whisper.cpp's SHA-1)")

    def _download_whisper(self) -> None:
        whisper = self.whisper_options.get(self.combos["stt"].currentData() or "")
        if whisper is not None:
            self.whisper_download_clicked.emit(whisper.name)

    def _download(self) -> None:
        _, option = self.selected_tts()
        if option is not None:
            self.download_clicked.emit(option.engine)

    def choices(self) -> dict[str, ModelChoice | str]:
        """What to load per stage; the OS voice comes back as "os-voice:<engine>"
        (the page makes it on the GUI thread). Raises WorkbenchError for a missing pick."""
        out: dict[str, ModelChoice | str] = {}
        for stage, make in (("vad", vad_choice), ("stt", stt_choice), ("llm", llm_choice)):
            data = self.combos[stage].currentData()
            if not data:
                raise WorkbenchError(f"choose a {TITLES[stage].lower()} model first")
            if data in self.whisper_options:
                whisper = self.whisper_options[data]
                if whisper.path is None:
                    raise WorkbenchError(f"whisper {whisper.name} is not downloaded yet: press "
                                         f"\"Download whisper {whisper.name}\" first")
                data = str(whisper.path)
            out[stage] = make(data)
        data, option = self.selected_tts()
        voice = self.voice_edit.text().strip()
        if data.startswith(OS_VOICE):
            out["tts"] = data
        elif option is not None and option.path is None:
            raise WorkbenchError(option.problem or f"{option.title} is not available")
        elif option is not None:
            out["tts"] = tts_choice(option.engine, option.path if option.engine != "espeak" else None, voice)
        else:  # a file chosen with Browse…: Kokoro or Piper by its name and files
            path = Path(data)
            out["tts"] = tts_choice("kokoro" if "kokoro" in path.name.lower() else "piper", path, voice)
        return out

    def set_memory(self, stage: str, text: str) -> None:
        self.memory[stage].setText(text)

    def set_busy(self, busy: bool) -> None:
        for widget in (*self.combos.values(), self.voice_edit, self.load_button, self.download_button,
                       self.stt_download_button):
            widget.setEnabled(not busy)
