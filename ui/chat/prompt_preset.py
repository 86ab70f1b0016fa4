"""Each model's prompt format, kept as its preset in Settings.prompt_formats:
shown when the model loads, saved when the user picks another. A saved name
llama.cpp does not know (an old or hand-edited file, a bundled preset) falls
back to the model's default and the banner lists the valid names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from ui.chat.page import ChatPage


class ChatPromptPreset(QObject):
    def __init__(self, page: ChatPage) -> None:
        super().__init__(page)
        self._page = page

    def on_loaded(self, loaded) -> None:
        """Offer the loaded model's templates and select its saved preset."""
        page = self._page
        box = page.prompt_format
        box.set_model_info(loaded.session.info)
        saved = page.ctx.settings.prompt_formats.get(str(loaded.path), "")
        if saved and not box.set_value(saved):
            valid = ", ".join(name for name in box.names() if name)
            page.error_banner.show_error(
                f"The saved prompt format {saved!r} for {loaded.path.name} is not one llama.cpp knows, so the "
                f"model's default is used. Choose one of: {valid}."
            )

    def on_unloaded(self) -> None:
        self._page.prompt_format.set_model_info(None)

    def save(self, value: str) -> None:
        """The user picked ``value``: it becomes the loaded model's preset ("" removes it)."""
        ctx = self._page.ctx
        if ctx.loaded is None:
            return
        if value:
            ctx.settings.prompt_formats[str(ctx.loaded.path)] = value
        else:
            ctx.settings.prompt_formats.pop(str(ctx.loaded.path), None)
        ctx.save_settings()
