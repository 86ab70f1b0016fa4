"""The Chat page's right-hand column: model options, system prompt, sampling
and speculative decoding, each in its own box, in a vertical scroll area.

The system prompt and sampling shown here belong to the current chat:
``write_settings_to`` copies them into it (from the next message on) and
``read_settings_from`` shows a reopened chat's own. The prompt format belongs
to the loaded model (its saved preset) and applies to every chat with it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QPlainTextEdit, QScrollArea, QVBoxLayout, QWidget

from app.chat.conversation import ChatConversation
from app.settings import Settings
from ui.chat.widgets.prompt_format import ChatPromptFormat
from ui.chat.widgets.sampling import ChatSamplingForm
from ui.model_picker.load_options import ModelLoadOptionsForm
from ui.speculative.chat_panel import SpecChatPanel


class ChatSidePanel(QScrollArea):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.load_options = ModelLoadOptionsForm(settings)
        self.system_prompt_box = QPlainTextEdit()
        self.system_prompt_box.setPlaceholderText("Optional instructions the model sees before the chat")
        # Three lines (it scrolls for more): a tall box crowded the column at 1280×720.
        lines = self.system_prompt_box.fontMetrics().lineSpacing() * 3
        self.system_prompt_box.setFixedHeight(lines + 2 * self.system_prompt_box.frameWidth() + 8)
        self.prompt_format = ChatPromptFormat()
        self.sampling_form = ChatSamplingForm()
        self.spec_panel = SpecChatPanel()  # the page attaches it to itself

        panel = QWidget()
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 4, 0)
        for title, widget in (
            ("Model options", self.load_options),
            ("Prompt format", self.prompt_format),
            ("System prompt", self.system_prompt_box),
            ("Sampling", self.sampling_form),
            ("Speculative decoding", self.spec_panel),
        ):
            group = QGroupBox(title)
            QVBoxLayout(group).addWidget(widget)
            column.addWidget(group)
        column.addStretch(1)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(panel)
        # Wide enough for the widest form: with no horizontal scrollbar, less would clip it.
        self.setMinimumWidth(panel.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width())

    def write_settings_to(self, conversation: ChatConversation) -> None:
        """The system prompt and sampling shown apply to ``conversation`` from its next message on."""
        conversation.system_prompt = self.system_prompt_box.toPlainText()
        conversation.sampling = self.sampling_form.sampling()
        conversation.prompt_format = self.prompt_format.value()

    def read_settings_from(self, conversation: ChatConversation) -> None:
        """Show ``conversation``'s own system prompt and sampling."""
        self.system_prompt_box.setPlainText(conversation.system_prompt)
        self.sampling_form.set_sampling(conversation.sampling)
