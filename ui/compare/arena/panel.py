"""The arena tab of the Compare page: one prompt or a prompt set, run on
every chosen file with the same seed and sampling; outputs stream side by
side in columns (``ArenaColumn``), each shaded from where it leaves the
reference's output. The work runs in ``arena_job`` off the GUI thread; the
panel only feeds an ``ArenaBoard`` and repaints what changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.compare.arena.board import ArenaBoard
from app.compare.arena.run import DEFAULT_SEED, ArenaConfig, read_prompts
from app.compare.runner import reference_order
from models.errors import WorkbenchError
from ui.common.error_banner import ChatErrorBanner
from ui.compare.arena.column import ArenaColumn
from ui.compare.arena.job import ArenaRequest, arena_job
from ui.shell.workers import GeneratorWorker, start_worker
from ui.speculative.mode_chooser import SpecModeChooser

FilesProvider = Callable[[], tuple[list[Path], Path | None]]  # (files, chosen reference or None)


class ArenaPanel(QWidget):
    def __init__(self, files: FilesProvider) -> None:
        super().__init__()
        self._files = files
        self.prompt_set: list[str] = []
        self.board: ArenaBoard | None = None
        self.columns: dict[str, ArenaColumn] = {}
        self._worker: GeneratorWorker | None = None
        self._side: list[GeneratorWorker] = []
        self._failed = False

        self.prompt_edit = QLineEdit(placeholderText="Prompt for every variant, or load a prompt set")
        self.prompt_edit.returnPressed.connect(self.run)
        self.prompt_edit.textChanged.connect(self._update_buttons)
        self.prompt_edit.textEdited.connect(self._drop_prompt_set)  # typing a prompt replaces a loaded set
        self.set_button = QPushButton("Prompt set…")
        self.set_button.setToolTip("A text file with one prompt per line, or a JSON list of prompts")
        self.set_button.clicked.connect(self._ask_prompt_set)
        self.max_tokens = QSpinBox(minimum=1, maximum=8192, value=128, suffix=" tokens")
        self.temperature = QDoubleSpinBox(minimum=0.0, maximum=2.0, singleStep=0.1, value=0.0, decimals=2)
        self.temperature.setToolTip("0 = greedy: outputs then differ only where the weights do")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=DEFAULT_SEED)
        self.chat = QCheckBox("Chat template")
        self.chat.setToolTip("Send the prompt as a user message through each model's chat template")
        self.speculative = SpecModeChooser(allow_off=True, compact=True)  # a draft or prompt lookup for every file
        self.run_button = QPushButton("Run arena")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.prompt_box = QComboBox()
        self.prompt_box.setMinimumContentsLength(30)
        self.prompt_box.currentIndexChanged.connect(self._show_prompt)
        self.state = QLabel("Same prompt, seed and sampling for every file; shaded text differs from the "
                            "reference's output", objectName="statsLine", wordWrap=True)
        self.error_banner = ChatErrorBanner()

        top = QHBoxLayout()
        top.addWidget(self.prompt_edit, 1)
        top.addWidget(self.set_button)
        settings = QHBoxLayout()
        for label, widget in (("Max", self.max_tokens), ("Temperature", self.temperature), ("Seed", self.seed)):
            settings.addWidget(QLabel(label))
            settings.addWidget(widget)
        settings.addWidget(self.chat)
        self.speculative_label = QLabel("Speculative:")  # its combo is not a chat-template setting
        self.speculative_label.setBuddy(self.speculative.mode_combo)
        settings.addSpacing(8)
        settings.addWidget(self.speculative_label)
        settings.addWidget(self.speculative)
        settings.addStretch(1)
        self.showing = QLabel("Showing")
        settings.addWidget(self.showing)
        settings.addWidget(self.prompt_box)
        settings.addWidget(self.run_button)
        settings.addWidget(self.cancel_button)
        self.columns_host = QWidget()
        self.columns_row = QHBoxLayout(self.columns_host)
        self.columns_row.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.columns_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(settings)
        layout.addWidget(self.state)
        layout.addWidget(self.error_banner)
        layout.addWidget(scroll, 1)
        self._update_buttons()

    # --- state -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._worker is not None or bool(self._side)

    def is_running(self) -> bool:
        return self._worker is not None

    def prompts(self) -> list[str]:
        return list(self.prompt_set) if self.prompt_set else [self.prompt_edit.text()]

    def _update_buttons(self) -> None:
        files, _ = self._files()
        ready = len(files) >= 2 and (bool(self.prompt_set) or bool(self.prompt_edit.text().strip()))
        running = self.is_running()
        self.run_button.setEnabled(ready and not running)
        self.run_button.setToolTip("" if ready else "Add at least two files above and give a prompt")
        self.cancel_button.setEnabled(running)
        several = len(self.prompts()) > 1 or (self.board is not None and len(self.board.prompts) > 1)
        self.prompt_box.setVisible(several)
        self.showing.setVisible(several)

    def refresh(self) -> None:
        """The file list changed (the page calls this)."""
        self._update_buttons()
        files, reference = self._files()
        files = [f for f in files if Path(f).is_file()]
        self.speculative.set_target(reference or (reference_order(files) if files else None), None, files)

    # --- prompt sets ------------------------------------------------------------------

    def _ask_prompt_set(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Prompt set", "", "Prompts (*.txt *.json);;All files (*)")
        if path:
            self.load_prompt_set(Path(path))

    def load_prompt_set(self, path: Path) -> None:
        def job(_cancel):
            yield read_prompts(path)

        self._start_side(job, lambda prompts: self._prompt_set_loaded(path, prompts))

    def _prompt_set_loaded(self, path: Path, prompts: list[str]) -> None:
        self.prompt_set = prompts
        self.prompt_edit.setText("")
        self.prompt_edit.setPlaceholderText(f"{len(prompts)} prompts from {path.name} (type here to use one prompt)")
        self._fill_prompt_box(prompts)
        self._update_buttons()

    def _drop_prompt_set(self) -> None:
        if not self.prompt_set:
            return
        self.prompt_set = []
        self.prompt_edit.setPlaceholderText("Prompt for every variant, or load a prompt set")
        self._update_buttons()

    def _fill_prompt_box(self, prompts: list[str]) -> None:
        self.prompt_box.blockSignals(True)
        self.prompt_box.clear()
        for index, prompt in enumerate(prompts):
            short = prompt if len(prompt) <= 40 else prompt[:39] + "…"
            self.prompt_box.addItem(f"{index + 1}/{len(prompts)}: {short}")
        self.prompt_box.blockSignals(False)

    # --- running ------------------------------------------------------------------------

    @Slot()
    def run(self) -> None:
        files, reference = self._files()
        if self.is_running() or not self.run_button.isEnabled():
            return
        prompts = self.prompts()
        self.error_banner.clear()
        self._failed = False
        self._fill_prompt_box(prompts)
        request = ArenaRequest(files, reference, prompts, self.max_tokens.value(), self.temperature.value(),
                               self.seed.value(), self.chat.isChecked(), speculative=self.speculative.options())
        self.state.setText("Loading…")
        self._worker = start_worker(arena_job(request), on_yield=self._on_item, on_error=self._on_error,
                                    on_finish=self._on_finished)
        self._update_buttons()

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.quit()
            self.state.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.quit()

    def _on_item(self, item: tuple[str, Any]) -> None:
        kind, payload = item
        if kind == "spec":
            self._start_board(payload)
            return
        for event in payload:
            self.board.feed(event)
        self._show_prompt(self.prompt_box.currentIndex())
        done = sum(o.finished for o in self.board.outputs.values())
        total = len(self.board.models) * len(self.board.prompts)
        self.state.setText(f"Running · {done}/{total} outputs finished")

    def _start_board(self, spec: ArenaConfig) -> None:
        models = [str(m) for m in spec.models]
        self.board = ArenaBoard(models, str(spec.reference), spec.prompts)
        self._clear_columns()
        for model in models:
            column = ArenaColumn(model, Path(model).name, model == str(spec.reference))
            self.columns[model] = column
            self.columns_row.addWidget(column, 1)
        self._show_prompt(0)

    def _clear_columns(self) -> None:
        for column in self.columns.values():
            column.deleteLater()
        self.columns = {}

    def _show_prompt(self, index: int) -> None:
        if self.board is None or index < 0:
            return
        for model, column in self.columns.items():
            if column.property("prompt") != index:  # another prompt: redraw from its start
                column.show_output(None, None)
                column.setProperty("prompt", index)
            out = self.board.outputs.get((model, index))
            if out is not None:
                column.show_output(out, self.board.divergence(model, index))

    def _on_error(self, error: Exception, _trace: str) -> None:
        message = str(error) if isinstance(error, WorkbenchError) else f"The arena stopped unexpectedly: {error}"
        self.error_banner.show_error(message)
        self._failed = True

    def _on_finished(self) -> None:
        self._worker = None
        if self._failed:
            started = self.board is not None and any(o.text for o in self.board.outputs.values())
            self.state.setText("Stopped by an error" if started else "Not run")
            if not started:  # refused before any output: no empty columns left behind
                self._clear_columns()
                self.board = None
        elif self.board is not None:
            cancelled = not self.board.all_finished() or any(
                (o.stats or {}).get("stop_reason") == "cancelled" for o in self.board.outputs.values())
            self.state.setText("Cancelled" if cancelled else "Done · shaded text differs from the reference's")
        else:
            self.state.setText("Cancelled")
        self._update_buttons()

    def _start_side(self, job, on_result) -> None:
        holder: list[GeneratorWorker] = []
        worker = start_worker(job, on_yield=on_result, on_finish=lambda: self._side.remove(holder[0]),
                              on_error=lambda error, _t: self.error_banner.show_error(str(error)))
        holder.append(worker)
        self._side.append(worker)
