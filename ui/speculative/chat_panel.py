"""The Chat page's "Speculative decoding" box and everything it adds to chat.

* choosing a draft model or prompt lookup for the next load (SpecModeChooser);
* live acceptance while a reply streams (from the runtime's Metrics events);
* shading of accepted draft tokens, toggleable (DraftShading);
* the reply's speedup against a plain baseline for the same model, when one
  exists (app.speculative.baseline), stored with the reply's stats.

``attach(...)`` connects to the Chat page's session, signals and widgets. It must run before
the page connects its own slots (it is built with the side panel), so the
speedup and spans are in the stats by the time the page stores them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from app.speculative import baseline as spec_baseline
from runtimes.base import LoadOptions
from runtimes.events import GenerationStats, Metrics, Token
from ui.speculative.mode_chooser import SpecModeChooser
from ui.speculative.shading import DraftShading

if TYPE_CHECKING:
    from app.chat.session import ChatSession
    from ui.chat.generation import ChatGeneration
    from ui.chat.widgets.transcript import ChatTranscript
    from ui.model_picker.load_options import ModelLoadOptionsForm
    from ui.model_picker.picker import ModelPicker
    from ui.shell.context import AppContext


def live_text(values: dict[str, float]) -> str:
    drafted, accepted = int(values.get("spec_drafted", 0)), int(values.get("spec_accepted", 0))
    rate = values.get("spec_acceptance_rate", 0.0)
    return (f"Accepted {accepted}/{drafted} drafted ({rate:.0%}) · mean {values.get('spec_mean_accepted_len', 0):.1f}"
            f" per round · K={int(values.get('spec_draft_k', 0))}")


class SpecChatPanel(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.chooser = SpecModeChooser(allow_off=True)
        self.shade_box = QCheckBox("Shade accepted draft tokens", checked=True)
        self.shade_box.setToolTip("Tint the reply text the draft proposed and the model accepted")
        self.live_label = QLabel("", objectName="statsLine", wordWrap=True)
        self.baseline_label = QLabel("", objectName="statsLine", wordWrap=True)
        self.shading = DraftShading(self)
        self.shade_box.toggled.connect(self.shading.set_enabled)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for widget in (self.chooser, self.shade_box, self.live_label, self.baseline_label):
            column.addWidget(widget)
        self._session: ChatSession | None = None
        self._settings: Any = None
        self._model_picker: ModelPicker | None = None
        self._load_options: ModelLoadOptionsForm | None = None
        self._messages_view: ChatTranscript | None = None
        self._loaded: Any = None

    def apply(self, options: LoadOptions, runtime: str | None) -> LoadOptions:
        """The load options with this box's choice (llama.cpp only)."""
        if runtime != "llama.cpp" or not hasattr(options, "speculative"):
            return options
        return dataclasses.replace(options, speculative=self.chooser.options())

    def attach(self, session: ChatSession, ctx: AppContext, generation: ChatGeneration, *,
               model_picker: ModelPicker, load_options: ModelLoadOptionsForm, messages_view: ChatTranscript) -> None:
        self._session, self._settings = session, ctx.settings
        self._model_picker, self._load_options, self._messages_view = model_picker, load_options, messages_view
        generation.event.connect(self._on_event)
        generation.done.connect(self._on_done)
        ctx.generation_started.connect(self._on_started)
        ctx.model_loaded.connect(self._on_loaded)
        ctx.model_unloaded.connect(lambda: self._on_loaded(None))
        model_picker.model_combo.currentIndexChanged.connect(self._target_changed)
        load_options.device_combo.currentIndexChanged.connect(self._devices_changed)
        # Reopened conversations: shade their saved spans once the widgets exist.
        messages_view.widget().installEventFilter(self)

    # -- wiring ------------------------------------------------------------

    def _target_changed(self) -> None:
        picker = self._model_picker
        models = [picker.model_combo.itemData(i) for i in range(picker.model_combo.count())]
        self.chooser.set_target(picker.current_path(), self._settings.models_dir, [Path(m) for m in models if m])

    def _devices_changed(self) -> None:
        combo = self._load_options.device_combo
        devices = [combo.itemData(i) for i in range(combo.count())]
        if devices:
            self.chooser.set_devices([d for d in devices if d is not None])

    def _on_loaded(self, loaded: Any) -> None:
        self._loaded = loaded
        spec = getattr(getattr(loaded, "options", None), "speculative", None)
        self.live_label.setText(f"Loaded with {spec.label}." if spec else "")
        self._show_baseline()

    def _on_started(self) -> None:
        widget = self._messages_view.last_message()
        if widget is not None and widget.role == "assistant":
            self.shading.begin(widget)

    def _on_event(self, event: Any) -> None:
        if isinstance(event, Token):
            self.shading.token(event.text, event.drafted)
        elif isinstance(event, Metrics) and "spec_drafted" in event.values:
            self.live_label.setText(live_text(event.values))

    def _on_done(self, stats: GenerationStats) -> None:
        spans = self.shading.end()
        loaded = self._loaded
        if loaded is None:
            return
        layers = getattr(loaded.options, "n_gpu_layers", 0)
        if stats.speculative is None:
            spec_baseline.record_plain(loaded.path, layers, stats.gen_tps)
        else:
            stats.speculative["draft_spans"] = [list(s) for s in spans]
            baseline = spec_baseline.plain_baseline(loaded.path, layers)
            if baseline and stats.gen_tps > 0:
                stats.speculative["baseline_tps"] = baseline
                stats.speculative["speedup"] = stats.gen_tps / baseline
        self._show_baseline()

    def _show_baseline(self) -> None:
        loaded = self._loaded
        spec = getattr(getattr(loaded, "options", None), "speculative", None)
        if loaded is None or spec is None:
            self.baseline_label.setText("")
            return
        baseline = spec_baseline.plain_baseline(loaded.path, getattr(loaded.options, "n_gpu_layers", 0))
        self.baseline_label.setText(
            f"Plain baseline: {baseline:.1f} t/s; replies show their speedup." if baseline else
            "No plain baseline for this model yet: chat once with speculative decoding off, or run the "
            "Speculative page, and replies will show their speedup."
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ChildAdded:
            QTimer.singleShot(0, self, self._shade_saved)
        return False

    def _shade_saved(self) -> None:
        session = self._session
        if session is None or session.generating:
            return
        for widget, message in zip(self._messages_view.message_widgets(), session.conversation.messages, strict=False):
            spans = ((message.stats or {}).get("speculative") or {}).get("draft_spans")
            if widget.role == "assistant" and spans:
                self.shading.attach(widget, spans)
