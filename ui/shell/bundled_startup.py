"""Start straight into a chat with the model an installer carries, if any
(see app/bundled_model.py): apply its preset on the Chat page and load it."""

from __future__ import annotations

from app.bundled_model import BundledModel, find_bundled_model
from models.errors import WorkbenchError


def open_bundled_model(window) -> BundledModel | None:
    try:
        bundled = find_bundled_model()
    except WorkbenchError as exc:  # a broken bundle must not stop the app opening
        window.statusBar().showMessage(f"Bundled model not loaded: {exc}")
        return None
    if bundled is None:
        return None
    chat = window.pages["Chat"]
    window.show_page("Chat")
    chat.system_prompt_box.setPlainText(bundled.system_prompt)
    chat.sampling_form.set_sampling(bundled.sampling)
    if bundled.chat_template:  # the preset's prompt format, unless the user already chose one for this model
        window.ctx.settings.prompt_formats.setdefault(str(bundled.path), bundled.chat_template)
    chat.load_model(bundled.path)  # waits for runtime discovery, then loads
    return bundled
