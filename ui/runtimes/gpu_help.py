"""How to get a CUDA, Metal or Vulkan build of llama.cpp (README "GPU builds")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QToolButton

from ui.runtimes.card import heading, make_card, muted
from ui.runtimes.report import GPU_BACKENDS, LlamaBuild, gpu_build_command
from ui.shell.resources import icon

_INTRO = (
    "Workbench installs the CPU build of llama-cpp-python. To run on a GPU, reinstall it with "
    "that backend compiled in (this builds llama.cpp from source, which takes a while), "
    "then restart Workbench: the library is loaded once per run."
)
_CODE_STYLE = (
    "QLabel { font-family: monospace; padding: 6px 8px; border: 1px solid palette(mid);"
    " border-radius: 4px; background: palette(base); }"
)


def command_row(command: str, name: str) -> QHBoxLayout:
    """The command in a selectable code box that wraps, and a Copy button."""
    code = QLabel(command)
    code.setWordWrap(True)
    code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    code.setStyleSheet(_CODE_STYLE)
    copy = QToolButton(toolTip=f"Copy the {name} command")
    copy.setIcon(icon("copy"))
    copy.clicked.connect(lambda: QApplication.clipboard().setText(command))
    row = QHBoxLayout()
    row.addWidget(code, 1)
    row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
    return row


class GpuBuildHelp(QFrame):
    def __init__(self, build: LlamaBuild | None) -> None:
        super().__init__()
        layout = make_card(self, "gpuBuildHelp")
        layout.addWidget(heading("Get a GPU build"))
        intro = QLabel(_INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        version = build.version if build else None
        self.commands: dict[str, str] = {}
        for name, flag, note in GPU_BACKENDS:
            command = gpu_build_command(flag, version)
            self.commands[name] = command
            title = QHBoxLayout()
            title.addWidget(QLabel(f"<b>{name}</b>"))
            title.addWidget(muted(QLabel(note)))
            title.addStretch(1)
            layout.addSpacing(4)
            layout.addLayout(title)
            layout.addLayout(command_row(command, name))
        layout.addSpacing(4)
        layout.addWidget(QLabel("Afterwards this page (or <code>workbench runtimes</code>) lists the new backend."))
