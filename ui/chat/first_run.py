"""What the chat area shows while no model is loaded: three ways in (open a
file, get one from the Library, build the offline demo models), so a new user
is never left with an empty box and a disabled Send button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

MAX_NAME = 48  # characters of a file name on the Load button; the middle goes, the tooltip has it all


class ChatFirstRun(QFrame):
    open_requested = Signal()
    load_requested = Signal()
    library_requested = Signal()
    demo_requested = Signal()

    def __init__(self) -> None:
        super().__init__(objectName="chatFirstRun")
        title = QLabel("<b>No model loaded.</b> Pick a way in:", alignment=Qt.AlignmentFlag.AlignCenter)
        self.load_button = QPushButton("")  # "Load <the picker's model>", when there is one
        self.load_button.setToolTip("Load the model chosen above with the options on the right")
        self.load_button.hide()
        self.open_button = QPushButton("Open a model file…")
        self.open_button.setToolTip("Choose a GGUF file; it loads at once")
        self.library_button = QPushButton("Get a model (Library)")
        self.library_button.setToolTip("Search the Hugging Face Hub and download a model that fits this computer")
        self.demo_button = QPushButton("Build demo models (offline)")
        self.demo_button.setToolTip("Writes tiny test models locally and loads one: no network, "
                                    "replies are gibberish but show every feature")
        self.status = QLabel("", objectName="statsLine", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("Then type a message below: Ctrl+Return sends, Escape stops.",
                      objectName="transcriptEmpty", alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.open_button, self.library_button, self.demo_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(self.load_button, 0, Qt.AlignmentFlag.AlignHCenter)  # its own row: names can be long
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(hint)
        layout.addStretch(1)
        self.load_button.clicked.connect(self.load_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.library_button.clicked.connect(self.library_requested)
        self.demo_button.clicked.connect(self.demo_requested)

    def offer_load(self, name: str | None) -> None:
        """A model file is already chosen above: loading it is one click from here too."""
        shown = name if not name or len(name) <= MAX_NAME else f"{name[:MAX_NAME // 2 - 1]}…{name[-MAX_NAME // 2:]}"
        self.load_button.setText(f"Load {shown}" if name else "")
        self.load_button.setToolTip(f"Load {name} with the options on the right" if name else "")
        self.load_button.setVisible(bool(name))

    def set_busy(self, text: str) -> None:
        self.demo_button.setEnabled(False)
        self.status.setText(text)

    def set_done(self, text: str) -> None:
        self.demo_button.setEnabled(True)
        self.status.setText(text)
