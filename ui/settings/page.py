"""Settings page: models folder, default load options, theme, telemetry.

Every edit goes into ``ctx.settings`` at once (the theme is applied at once);
the file is written through ``ctx.save_settings()`` a moment later, so a burst
of keystrokes in a spin box is one small write, and on hide so nothing is lost.
That save tells the other pages (Chat shows the new default load options, the
Library and Chat rescan a new models folder), and the line under the title says
what was saved and where it now applies: no change is silent.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import THEMES
from runtimes.errors import RpcEndpointError
from runtimes.llama_cpp.rpc.endpoints import parse_endpoints
from ui.common.hf_token_box import HfTokenBox
from ui.shell.context import AppContext
from ui.shell.theme import apply_theme

SAVE_DELAY_MS = 400
APPLIED = {  # what a saved change does now, for the confirmation line
    "models_dir": "models folder: the Library and Chat rescan it now",
    "n_ctx": "context size: Chat's load options show it; a loaded model keeps its own until loaded again",
    "n_gpu_layers": "GPU layers: Chat's load options show it; applies at the next load",
    "n_threads": "CPU threads: Chat's load options show it; applies at the next load",
    "theme": "theme applied",
    "rpc_endpoints": "remote devices: Chat's load options list them; applies at the next load",
}
FIELD_WIDTH = 230  # spin boxes and the theme box; wider looks stretched, not useful
TELEMETRY_TEXT = (
    "<b>None — Workbench sends nothing anywhere.</b><br>"
    "No usage statistics, no crash reports, no accounts. Your models, prompts and "
    "conversations stay on this computer, and there is no setting to turn any of that on."
)


def hint(text: str) -> QLabel:
    """Secondary text in the palette's placeholder colour (readable in both themes)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def with_hint(field: QWidget, text: str) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(field)
    row.addWidget(hint(text), 1)
    return row


def spin_box(minimum: int, maximum: int, step: int, auto_text: str) -> QSpinBox:
    """A spin box whose lowest value reads as ``auto_text`` instead of a number."""
    box = QSpinBox(minimum=minimum, maximum=maximum, singleStep=step)
    box.setSpecialValueText(auto_text)
    box.setFixedWidth(FIELD_WIDTH)
    return box


class SettingsPage(QWidget):
    title = "Settings"
    icon = "settings"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_now)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Settings", objectName="pageTitle"))
        self.confirmation = QLabel("Changes apply at once and are saved automatically.", objectName="statsLine",
                                   wordWrap=True)
        layout.addWidget(self.confirmation)
        self._changed: list[str] = []  # names edited since the last save
        layout.addWidget(self._models_group())
        self.hf_token_box = HfTokenBox()
        layout.addWidget(self.hf_token_box)
        layout.addWidget(self._load_group())
        layout.addWidget(self._appearance_group())
        layout.addWidget(self._telemetry_group())
        layout.addStretch(1)
        self._show_values()
        self._connect_edits()

    # -- building -------------------------------------------------------------

    def _models_group(self) -> QGroupBox:
        group = QGroupBox("Models")
        form = QFormLayout(group)
        self.models_dir_edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse_models_dir)
        row = QHBoxLayout()
        row.addWidget(self.models_dir_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow("Models folder", row)
        form.addRow("", hint("Workbench looks for .gguf files here."))
        return group

    def _load_group(self) -> QGroupBox:
        group = QGroupBox("Default load options")
        form = QFormLayout(group)
        self.n_ctx_spin = spin_box(0, 1 << 20, 1024, "Auto (model's own)")
        self.n_ctx_spin.setSuffix(" tokens")
        self.n_gpu_layers_spin = spin_box(-1, 999, 1, "All layers")
        self.n_threads_spin = spin_box(0, 512, 1, "Auto (physical cores)")
        form.addRow(hint("Used whenever a model is loaded. Type 0 for Auto."))
        form.addRow("Context size", with_hint(self.n_ctx_spin, "Auto: the context the model was trained with"))
        form.addRow(
            "GPU layers",
            with_hint(self.n_gpu_layers_spin, "0 keeps the model on the CPU; offloading needs a GPU build"),
        )
        form.addRow("CPU threads", with_hint(self.n_threads_spin, "Auto: one thread per physical core"))
        self.rpc_edit = QLineEdit()
        self.rpc_edit.setPlaceholderText("none · host:port, host:port")
        self.rpc_hint = hint("rpc-server endpoints whose devices take GPU layers (--rpc). "
                             "Unauthenticated: trusted networks only.")
        form.addRow("Remote devices", self.rpc_edit)
        form.addRow("", self.rpc_hint)
        return group

    def _appearance_group(self) -> QGroupBox:
        group = QGroupBox("Appearance")
        form = QFormLayout(group)
        self.theme_combo = QComboBox()
        self.theme_combo.setFixedWidth(FIELD_WIDTH)
        for theme in THEMES:
            self.theme_combo.addItem(theme.capitalize(), theme)
        form.addRow("Theme", with_hint(self.theme_combo, "System follows your desktop; applied at once"))
        return group

    def _telemetry_group(self) -> QGroupBox:
        group = QGroupBox("Telemetry")
        box = QVBoxLayout(group)
        self.telemetry_label = QLabel(TELEMETRY_TEXT)
        self.telemetry_label.setWordWrap(True)
        self.telemetry_label.setTextFormat(Qt.TextFormat.RichText)
        box.addWidget(self.telemetry_label)
        return group

    # -- values ---------------------------------------------------------------

    def _show_values(self) -> None:
        s = self.ctx.settings
        self.models_dir_edit.setText(s.models_dir)
        self.n_ctx_spin.setValue(s.n_ctx)
        self.n_gpu_layers_spin.setValue(s.n_gpu_layers)
        self.n_threads_spin.setValue(s.n_threads)
        self.theme_combo.setCurrentIndex(self.theme_combo.findData(s.theme))
        self.rpc_edit.setText(", ".join(s.rpc_endpoints))
        for name, widget in self._widgets().items():
            if name in s.env_overrides:
                widget.setToolTip(f"Set by WORKBENCH_{name.upper()} for this run.")

    def _widgets(self) -> dict[str, QWidget]:
        return {
            "models_dir": self.models_dir_edit,
            "n_ctx": self.n_ctx_spin,
            "n_gpu_layers": self.n_gpu_layers_spin,
            "n_threads": self.n_threads_spin,
            "theme": self.theme_combo,
            "rpc_endpoints": self.rpc_edit,
        }

    def _connect_edits(self) -> None:
        self.models_dir_edit.textEdited.connect(self._models_dir_edited)
        for name in ("n_ctx", "n_gpu_layers", "n_threads"):
            spin: QSpinBox = self._widgets()[name]
            spin.valueChanged.connect(lambda value, name=name: self._set(name, value))
        self.theme_combo.currentIndexChanged.connect(self._theme_chosen)
        self.rpc_edit.editingFinished.connect(self._rpc_edited)

    def _set(self, name: str, value: object) -> None:
        setattr(self.ctx.settings, name, value)
        if name not in self._changed:
            self._changed.append(name)
        self._save_timer.start()

    @Slot(str)
    def _models_dir_edited(self, text: str) -> None:
        if text.strip():  # an empty field would silently mean "the default folder"
            self._set("models_dir", text.strip())

    @Slot()
    def _rpc_edited(self) -> None:
        try:  # a bad entry is shown and not saved; the stored list stays as it was
            endpoints = list(parse_endpoints(self.rpc_edit.text()))
        except RpcEndpointError as exc:
            self.rpc_hint.setText(str(exc))
            return
        self.rpc_hint.setText("Saved. Models loaded from now on offload GPU layers to these servers' devices.")
        self._set("rpc_endpoints", endpoints)

    @Slot(int)
    def _theme_chosen(self, _index: int) -> None:
        theme = self.theme_combo.currentData()
        apply_theme(QApplication.instance(), theme)
        self._set("theme", theme)

    @Slot()
    def browse_models_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the models folder", self.models_dir_edit.text())
        if folder:
            self.models_dir_edit.setText(folder)
            self._set("models_dir", folder)

    @Slot()
    def save_now(self) -> None:
        self._save_timer.stop()
        self.ctx.save_settings()
        if self._changed:
            done = "; ".join(APPLIED[name] for name in self._changed)
            self.confirmation.setText(f"Saved {time.strftime('%H:%M:%S')}: {done}.")
            self._changed = []

    @property
    def has_unsaved_changes(self) -> bool:
        return self._save_timer.isActive()

    def hideEvent(self, event) -> None:
        if self.has_unsaved_changes:
            self.save_now()
        super().hideEvent(event)
