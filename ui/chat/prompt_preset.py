"""Each model's prompt format, kept as its preset in Settings.prompt_formats:
shown when the model loads, saved when the user picks another. A saved name
llama.cpp does not know (an old or hand-edited file, a bundled preset) falls
back to the model's default and the banner lists the valid names."""

from __future__ import annotations

from PySide6.QtCore import QObject

from ui.chat.widgets.prompt_format import ChatPromptFormat
from ui.common.error_banner import ChatErrorBanner
from ui.shell.context import AppContext


class ChatPromptPreset(QObject):
    def __init__(self, ctx: AppContext, prompt_format: ChatPromptFormat, error_banner: ChatErrorBanner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._box = prompt_format
        self._error_banner = error_banner

    def on_loaded(self, loaded) -> None:
        """Offer the loaded model's templates and select its saved preset."""
        box = self._box
        box.set_model_info(loaded.session.info)
        saved = self._ctx.settings.prompt_formats.get(str(loaded.path), "")
        if saved and not box.set_value(saved):
            valid = ", ".join(name for name in box.names() if name)
            self._error_banner.show_error(
                f"The saved prompt format {saved!r} for {loaded.path.name} is not one llama.cpp knows, so the "
                f"model's default is used. Choose one of: {valid}."
            )

    def on_unloaded(self) -> None:
        self._box.set_model_info(None)

    def save(self, value: str) -> None:
        """The user picked ``value``: it becomes the loaded model's preset ("" removes it)."""
        ctx = self._ctx
        if ctx.loaded is None:
            return
        if value:
            ctx.settings.prompt_formats[str(ctx.loaded.path)] = value
        else:
            ctx.settings.prompt_formats.pop(str(ctx.loaded.path), None)
        ctx.save_settings()
