"""Choose how to speculate for a target: off, prompt lookup, or a draft model.

Only drafts whose tokenizer matches the target's are offered; every other
local model is listed under "not offered" with the reason (the complaint
about LM Studio's silently empty draft list). The library is scanned on a
worker thread whenever the target changes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.speculative.drafts import local_draft_choices
from models.gguf.vocab_compat import DraftChoices
from runtimes.base import Device
from runtimes.llama_cpp.speculative.options import MAX_DRAFT, SpeculativeOptions
from ui.common.long_text import never_widens, set_wrapped_text
from ui.shell.workers import GeneratorWorker, start_worker

OFF, LOOKUP = "off", "lookup"


class SpecModeChooser(QWidget):
    changed = Signal()
    scanned = Signal()  # the draft list for the current target is ready

    def __init__(self, allow_off: bool = True, compact: bool = False) -> None:
        """``compact``: only the mode list (K, device and the reasons go in defaults and a tooltip)."""
        super().__init__()
        self._allow_off = allow_off
        self._compact = compact
        self._target: Path | None = None
        self._scan: GeneratorWorker | None = None
        self.choices: DraftChoices | None = None

        self.mode_combo = QComboBox()
        self.mode_combo.setToolTip("Speculative decoding: a small draft model (same tokenizer) or prompt lookup "
                                   "proposes tokens, the model verifies several at once; the output is unchanged")
        self.draft_max_spin = QSpinBox(minimum=1, maximum=MAX_DRAFT, value=8)
        self.draft_max_spin.setToolTip("Tokens drafted per round (K); the ceiling when adaptive")
        self.adaptive_box = QCheckBox("Adapt K", checked=True)
        self.adaptive_box.setToolTip("Grow K while drafts are accepted, shrink it when they are rejected")
        self.device_combo = QComboBox()
        self.device_combo.setToolTip("Where the draft model runs; it can differ from the model's device")
        self.gpu_layers_spin = QSpinBox(minimum=-1, maximum=999, value=-1)
        self.gpu_layers_spin.setSpecialValueText("all")
        self.gpu_layers_spin.setToolTip("Draft layers to offload to its GPU (-1 = all)")
        self.missing_button = QToolButton(text="", autoRaise=True, checkable=True)
        self.missing_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.missing_label = never_widens(QLabel(wordWrap=True, objectName="statsLine"))
        self.missing_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing_label.hide()
        self.missing_button.toggled.connect(self.missing_label.setVisible)
        self.missing_button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens

        if compact:
            for widget in (self.draft_max_spin, self.adaptive_box, self.device_combo, self.gpu_layers_spin,
                           self.missing_button, self.missing_label):
                widget.setParent(self)
                widget.hide()
            row = QVBoxLayout(self)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(self.mode_combo)
        else:
            self._build_full()
        self.set_devices([Device("cpu", "cpu", "CPU")])
        self._fill(None)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.device_combo.currentIndexChanged.connect(self._update_enabled)

    def _build_full(self) -> None:
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Mode", self.mode_combo)
        form.addRow("Draft K", self.draft_max_spin)
        form.addRow("", self.adaptive_box)
        form.addRow("Draft device", self.device_combo)
        form.addRow("Draft GPU layers", self.gpu_layers_spin)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(form)
        column.addWidget(self.missing_button)
        column.addWidget(self.missing_label)

    @property
    def scanning(self) -> bool:
        return self._scan is not None

    def set_devices(self, devices: list[Device]) -> None:
        current = self.device_combo.currentData()
        self.device_combo.clear()
        for device in devices:
            self.device_combo.addItem(device.id.upper(), device)
        index = next((i for i, d in enumerate(devices) if current is not None and d.id == current.id), 0)
        self.device_combo.setCurrentIndex(index)
        self._update_enabled()

    def set_target(self, target: Path | None, models_dir: str | None, extra: list[Path] | None = None) -> None:
        """Offer the drafts that fit ``target`` (scanned off the GUI thread);
        ``models_dir`` None: the one in the saved settings."""
        target = Path(target) if target else None
        if target == self._target and self.choices is not None:
            return
        self._target = target
        self.choices = None
        self._fill(None, scanning=target is not None)
        if target is None:
            return
        files = list(extra or [])

        def job(cancel):
            yield target, local_draft_choices(target, models_dir, files)

        worker = start_worker(job, on_yield=self._on_scanned, on_error=self._on_scan_failed,
                              on_finish=lambda: self._scan_finished(worker))
        self._scan = worker

    def options(self) -> SpeculativeOptions | None:
        mode = self.mode_combo.currentData()
        if mode in (None, OFF):
            return None
        device = self.device_combo.currentData()
        on_gpu = device is not None and device.kind != "cpu"
        return SpeculativeOptions(
            mode="lookup" if mode == LOOKUP else "draft",
            draft_model=None if mode == LOOKUP else mode,
            draft_max=self.draft_max_spin.value(),
            adaptive=self.adaptive_box.isChecked(),
            draft_device=device.id if on_gpu else "cpu",
            draft_n_gpu_layers=self.gpu_layers_spin.value() if on_gpu else 0,
        )

    def select_draft(self, path: Path | str) -> bool:
        index = self.mode_combo.findData(str(path))
        if index >= 0:
            self.mode_combo.setCurrentIndex(index)
        return index >= 0

    def select_lookup(self) -> None:
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(LOOKUP))

    # -- private -----------------------------------------------------------

    def _on_scanned(self, result) -> None:
        target, choices = result
        if target != self._target:
            return  # the target changed while scanning
        self.choices = choices
        self._fill(choices)
        self.scanned.emit()

    def _on_scan_failed(self, exc: Exception, _details: str) -> None:
        self._fill(None)
        self.missing_button.setText("Drafts could not be listed")
        set_wrapped_text(self.missing_label, str(exc))
        self.missing_button.show()

    def _scan_finished(self, worker: GeneratorWorker) -> None:
        if self._scan is worker:
            self._scan = None

    def _fill(self, choices: DraftChoices | None, scanning: bool = False) -> None:
        previous = self.mode_combo.currentData()
        self.mode_combo.blockSignals(True)
        self.mode_combo.clear()
        if self._allow_off:
            self.mode_combo.addItem("Off (plain decoding)", OFF)
        self.mode_combo.addItem("Prompt lookup (no draft model)", LOOKUP)
        for candidate in choices.compatible if choices else []:
            ratio = candidate.check.size_ratio
            label = f"Draft: {candidate.name}" + (f" ({ratio:.0%})" if ratio is not None else "")
            self.mode_combo.addItem(label, str(candidate.path))
            size = [f"{ratio:.0%} of the model's size"] if ratio is not None else []
            tip = "\n".join([str(candidate.path), *size, *candidate.check.warnings])
            self.mode_combo.setItemData(self.mode_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        index = self.mode_combo.findData(previous) if previous is not None else -1
        self.mode_combo.setCurrentIndex(max(index, 0))
        self.mode_combo.blockSignals(False)
        excluded = choices.excluded if choices else []
        if scanning:
            self.missing_button.setText("Looking for draft models…")
        elif choices is not None and not choices.compatible:
            self.missing_button.setText(f"No compatible draft model ({len(excluded)} not offered, why?)")
        else:
            self.missing_button.setText(f"{len(excluded)} model(s) not offered as drafts (why?)")
        self.missing_button.setToolTip(self.missing_button.text())
        self.missing_button.setVisible((scanning or choices is not None) and not self._compact)
        set_wrapped_text(self.missing_label, "\n".join(f"• {name}: {why}" for _, name, why in excluded) or "None.")
        if self._compact:
            self.mode_combo.setToolTip(f"{self.missing_button.text()}\n{self.missing_label.toolTip()}")
        self._update_enabled()
        if self.mode_combo.currentData() != previous:
            self.changed.emit()

    def _mode_changed(self) -> None:
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        mode = self.mode_combo.currentData()
        speculating = mode not in (None, OFF)
        draft = speculating and mode != LOOKUP
        self.draft_max_spin.setEnabled(speculating)
        self.adaptive_box.setEnabled(speculating)
        self.device_combo.setEnabled(draft)
        device = self.device_combo.currentData()
        self.gpu_layers_spin.setEnabled(draft and device is not None and device.kind != "cpu")
