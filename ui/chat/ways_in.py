"""The Chat page's ways in while no model is loaded (the transcript's empty
state): open a file (loads at once), go to the Library, or build the offline
demo models with the same builder the Library uses and load one of them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from ui.common.demo_models_build import DemoModelsBuild

if TYPE_CHECKING:
    from ui.chat.page import ChatPage

PREFERRED_DEMO_QUANT = "Q4_K_M"  # small and quick to load; any demo model chats the same


class ChatWaysIn(QObject):
    def __init__(self, page: ChatPage) -> None:
        super().__init__(page)
        self._page = page
        self.demo_build = DemoModelsBuild(self)
        self._load_built = False  # only a build started here loads a model

    def connect(self) -> None:
        page, panel = self._page, self._page.messages_view.first_run
        panel.open_requested.connect(page.model_picker.open_file)
        panel.load_requested.connect(lambda: page.load_model())
        page.model_picker.model_combo.currentIndexChanged.connect(self._offer_load)
        panel.library_requested.connect(self.show_library)
        panel.demo_requested.connect(self.build_demos)
        page.model_picker.file_chosen.connect(page.load_model)
        self.demo_build.progress.connect(panel.set_busy)
        self.demo_build.failed.connect(panel.set_done)
        self.demo_build.built.connect(page.ctx.demo_models_built)
        page.ctx.demo_models_built.connect(self._on_built)
        page.ctx.model_loaded.connect(lambda _loaded: page.messages_view.set_model_loaded(True))
        page.ctx.model_unloaded.connect(lambda: page.messages_view.set_model_loaded(False))

    def _offer_load(self) -> None:
        path = self._page.model_picker.current_path()
        self._page.messages_view.first_run.offer_load(path.name if path else None)

    def show_library(self) -> None:
        show_page = getattr(self._page.window(), "show_page", None)
        if show_page is not None:
            show_page("Library")

    def build_demos(self) -> None:
        self._load_built = True
        self.demo_build.start()

    def _on_built(self, paths: list[Path]) -> None:
        page = self._page
        for path in paths:
            page.model_picker.select_path(path)
        chosen = next((p for p in paths if PREFERRED_DEMO_QUANT in p.name), paths[-1])
        page.model_picker.select_path(chosen)
        if not self._load_built:
            return
        self._load_built = False
        page.messages_view.first_run.set_done(f"Built in {chosen.parent}; loading {chosen.name}…")
        page.load_model(chosen)

    def shutdown(self) -> None:
        self.demo_build.cancel()
