"""The Chat page's ways in while no model is loaded (the transcript's empty
state): open a file (loads at once), go to the Library, or build the offline
demo models with the same builder the Library uses and load one of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from ui.chat.widgets.transcript import ChatTranscript
from ui.common.demo_models_build import DemoModelsBuild
from ui.model_picker.picker import ModelPicker
from ui.shell.context import AppContext

PREFERRED_DEMO_QUANT = "Q4_K_M"  # small and quick to load; any demo model chats the same


class ChatWaysIn(QObject):
    def __init__(self, ctx: AppContext, transcript: ChatTranscript, model_picker: ModelPicker,
                 load_model: Callable[..., None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._transcript = transcript
        self._panel = transcript.first_run
        self._picker = model_picker
        self._load_model = load_model  # (path=None): the picker's model, or ``path``
        self.demo_build = DemoModelsBuild(self)
        self._load_built = False  # only a build started here loads a model

    def connect(self) -> None:
        panel, picker, ctx = self._panel, self._picker, self._ctx
        panel.open_requested.connect(picker.open_file)
        panel.load_requested.connect(lambda: self._load_model())
        picker.model_combo.currentIndexChanged.connect(self._offer_load)
        panel.library_requested.connect(self.show_library)
        panel.demo_requested.connect(self.build_demos)
        picker.file_chosen.connect(self._load_model)
        self.demo_build.progress.connect(panel.set_busy)
        self.demo_build.failed.connect(panel.set_done)
        self.demo_build.built.connect(ctx.demo_models_built)
        ctx.demo_models_built.connect(self._on_built)
        ctx.model_loaded.connect(lambda _loaded: self._transcript.set_model_loaded(True))
        ctx.model_unloaded.connect(lambda: self._transcript.set_model_loaded(False))

    def _offer_load(self) -> None:
        path = self._picker.current_path()
        self._panel.offer_load(path.name if path else None)

    def show_library(self) -> None:
        show_page = getattr(self._panel.window(), "show_page", None)  # the main window's, once the page is in it
        if show_page is not None:
            show_page("Library")

    def build_demos(self) -> None:
        self._load_built = True
        self.demo_build.start()

    def _on_built(self, paths: list[Path]) -> None:
        picker = self._picker
        for path in paths:
            picker.select_path(path)
        chosen = next((p for p in paths if PREFERRED_DEMO_QUANT in p.name), paths[-1])
        picker.select_path(chosen)
        if not self._load_built:
            return
        self._load_built = False
        self._panel.set_done(f"Built in {chosen.parent}; loading {chosen.name}…")
        self._load_model(chosen)

    def shutdown(self) -> None:
        self.demo_build.cancel()
