"""Chat page: pick and load a model, chat with it, keep conversations.

A thin adapter: conversation logic lives in ``app.chat.conversation``,
storage in ``app.chat.store``, loading in ``app.model_host``, and what the
page shows now (the conversation, ready, loading, replying) in a Qt-free
``app.chat.session.ChatSession``. This page builds the widgets, hands each part
the session and the widgets it works on, wires signals and session events
together, and redraws on the session's ``on_changed``. The parts keep the GUI
thread free (loading, streaming, runtime discovery and every disk write run on
worker threads):

* ``model_setup`` (ChatModelSetup): runtime and model discovery, load/reload/cancel;
* ``replies`` (ChatReplies): send, regenerate, edit, stop, streaming;
* ``conversation_manager`` (ChatConversationManager): new/open/rename/delete/save;
* ``prompt_preset`` (ChatPromptPreset) and ``ways_in`` (ChatWaysIn): each model's
  prompt format, and the ways in while no model is loaded.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app.chat.conversation import ChatConversation
from app.chat.session import ChatSession
from app.chat.store import ConversationStore
from ui.chat.conversation_manager import ChatConversationManager
from ui.chat.generation import ChatGeneration
from ui.chat.model_loader import ChatModelLoader
from ui.chat.model_setup import ChatModelSetup
from ui.chat.prompt_preset import ChatPromptPreset
from ui.chat.replies import ChatReplies
from ui.chat.ways_in import ChatWaysIn
from ui.chat.widgets.composer import ChatComposer
from ui.chat.widgets.conversation_list import ChatConversationList
from ui.chat.widgets.disk_queue import DiskQueue
from ui.chat.widgets.side_panel import ChatSidePanel
from ui.chat.widgets.transcript import ChatTranscript
from ui.common.error_banner import ChatErrorBanner
from ui.common.metrics_strip import MetricsStrip
from ui.model_picker.load_progress import ModelLoadProgress
from ui.model_picker.picker import ModelPicker
from ui.shell.context import AppContext


class ChatPage(QWidget):
    """The Chat page.

    Public hooks (for tests and benchmarks; everything else is private):

    * ``input_box`` (QPlainTextEdit), ``send_button``, ``stop_button``,
      ``regenerate_button`` (QPushButton): the composer. ``composer`` (ChatComposer) also
      holds the images for the next message: ``attachments``, ``attach_files(paths)``,
      ``offer(mime)`` (paste/drop), ``vision_label``.
    * ``messages_view`` (ChatTranscript): ``message_widgets()`` and
      ``last_message()`` give ChatMessageWidgets with ``text()``,
      ``stats_text()``, ``copy_code()``, ``start_editing()``.
    * ``load_model(path=None)``: select ``path`` (if given) and load it with
      the runtime, device and options shown. ``is_ready``: runtimes are known;
      ``is_loading``; ``cancel_load()``; ``busy`` (discovery still running).
    * ``send(text=None)`` (the input box's text when None), ``stop()``,
      ``regenerate()``, ``edit_message(index, text)``, ``new_chat()``,
      ``open_conversation(id)``, ``is_generating``.
    * ``last_stats_text()``: the stats line under the newest reply.
    * ``session`` (ChatSession: the state above, without Qt).
    * ``conversation`` (ChatConversation shown now), ``store``
      (ConversationStore), ``disk.pending`` (queued saves not yet done).
    * ``error_banner`` (ChatErrorBanner: ``message``, ``reload_button``),
      ``model_status`` (QLabel), ``model_picker``, ``load_options``,
      ``sampling_form``, ``system_prompt_box``, ``conversation_list``, ``prompt_format``
      (ChatPromptFormat: ``combo``, ``value()``, ``set_value(name)``, ``note_label``; the
      loaded model's template, a llama.cpp built-in, or completion mode; saved per model).
    * ``messages_view.first_run`` (ChatFirstRun: ``open_button``, ``library_button``,
      ``demo_button``, ``status``): the ways in while no model is loaded; ``ways_in.demo_build``
      (DemoModelsBuild: ``quants``) builds the demo models and loads one.
    * ``shutdown()``: stop workers; called when the window closes.

    Shortcuts: Ctrl+Return sends, Escape stops (or cancels a load), Ctrl+N
    starts a new chat.
    """

    title = "Chat"
    icon = "chat"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.store = ConversationStore()
        self.disk = DiskQueue(self)
        self.loader = ChatModelLoader(ctx.models, self)
        self.generation = ChatGeneration(self)
        self.session = ChatSession(ctx.models)  # the conversation and what runs now; the parts share it

        self._build()
        self._build_parts()
        self._connect()
        self._build_shortcuts()
        # Discovery imports llama.cpp (~0.4 s of CPU); let the window paint first.
        QTimer.singleShot(50, self.model_setup.discover)
        self.conversation_manager.refresh()
        self.update_state()

    # ------------------------------------------------------------- building

    def _build_parts(self) -> None:
        """The parts, each with the session and the widgets it works on (built first)."""
        self.model_setup = ChatModelSetup(
            self.session, self.ctx, self.loader, model_picker=self.model_picker, load_options=self.load_options,
            spec_panel=self.spec_panel, model_status=self.model_status, load_progress=self.load_progress,
            error_banner=self.error_banner, input_box=self.input_box, parent=self,
        )
        self.conversation_manager = ChatConversationManager(
            self.session, self.store, self.disk, conversation_list=self.conversation_list,
            transcript=self.messages_view, side_panel=self.side_panel, input_box=self.input_box,
            error_banner=self.error_banner, parent=self,
        )
        self.replies = ChatReplies(
            self.session, self.ctx, self.generation, composer=self.composer, transcript=self.messages_view,
            side_panel=self.side_panel, error_banner=self.error_banner, parent=self,
        )
        self.prompt_preset = ChatPromptPreset(self.ctx, self.prompt_format, self.error_banner, parent=self)
        self.ways_in = ChatWaysIn(self.ctx, self.messages_view, self.model_picker, self.load_model, parent=self)

    def _build(self) -> None:
        self.conversation_list = ChatConversationList()
        self.model_picker = ModelPicker(self.ctx.settings.models_dir)
        self.model_status = QLabel("No model loaded", objectName="statsLine")
        self.load_progress = ModelLoadProgress()
        self.error_banner = ChatErrorBanner()
        self.messages_view = ChatTranscript()
        self.composer = ChatComposer(self.ctx)  # input box, buttons, images to send
        self.composer.accept_drops_on(self)
        self.input_box, self.send_button = self.composer.input_box, self.composer.send_button
        self.stop_button, self.regenerate_button = self.composer.stop_button, self.composer.regenerate_button

        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(8, 0, 8, 0)
        column.addWidget(self.model_picker)
        column.addWidget(self.model_status)
        column.addWidget(self.load_progress)
        column.addWidget(self.error_banner)
        column.addWidget(self.messages_view, 1)
        self.metrics_strip = MetricsStrip(self.ctx)
        column.addWidget(self.metrics_strip)
        column.addWidget(self.composer)

        self.side_panel = ChatSidePanel(self.ctx.settings)
        self.load_options, self.system_prompt_box = self.side_panel.load_options, self.side_panel.system_prompt_box
        self.sampling_form, self.spec_panel = self.side_panel.sampling_form, self.side_panel.spec_panel
        self.prompt_format = self.side_panel.prompt_format
        # Before _connect: it adds the speedup to stats the page then stores.
        self.spec_panel.attach(self.session, self.ctx, self.generation, model_picker=self.model_picker,
                               load_options=self.load_options, messages_view=self.messages_view)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.conversation_list)
        splitter.addWidget(center)
        splitter.addWidget(self.side_panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([180, 680, 270])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        setup, replies, chats = self.model_setup, self.replies, self.conversation_manager
        self.send_button.clicked.connect(lambda: self.send())
        self.stop_button.clicked.connect(self.stop)
        self.regenerate_button.clicked.connect(self.regenerate)
        self.model_picker.load_clicked.connect(lambda: self.load_model())
        self.load_progress.cancel_clicked.connect(self.cancel_load)
        self.error_banner.reload_clicked.connect(self.reload_model)
        self.messages_view.edit_submitted.connect(self.edit_message)
        self.composer.problem.connect(self.error_banner.show_error)
        self.model_picker.model_combo.currentIndexChanged.connect(
            lambda: self.load_options.vision.set_model(self.model_picker.current_path())
        )

        self.loader.loaded.connect(setup.on_loaded)
        self.loader.failed.connect(setup.on_load_failed)
        self.loader.cancelled.connect(setup.on_load_cancelled)
        self.loader.ended.connect(setup.on_load_ended)
        self.generation.token.connect(replies.on_token)
        self.generation.done.connect(replies.on_reply_done)
        self.generation.failed.connect(replies.on_reply_failed)
        self.generation.ended.connect(replies.on_generation_ended)
        self.session.on_stop_requested.connect(self.generation.stop)
        self.session.on_reply_started.connect(chats.cancel_open)
        self.session.on_save_requested.connect(chats.save)
        self.session.on_model_died.connect(setup.drop_dead_model)

        self.conversation_list.new_requested.connect(self.new_chat)
        self.conversation_list.open_requested.connect(self.open_conversation)
        self.conversation_list.rename_requested.connect(self.rename_conversation)
        self.conversation_list.delete_requested.connect(self.delete_conversation)
        self.disk.failed.connect(chats.on_disk_failed)

        self.session.on_changed.connect(self.update_state)
        self.ctx.open_model_requested.connect(self.load_model)
        self.ctx.model_loaded.connect(self.update_state)
        self.ctx.model_unloaded.connect(self.update_state)
        self.ctx.model_loaded.connect(self.prompt_preset.on_loaded)
        self.ctx.model_unloaded.connect(self.prompt_preset.on_unloaded)
        self.prompt_format.changed.connect(self.prompt_preset.save)
        self.ctx.worker_died.connect(setup.on_worker_died)  # queued: the watcher thread emits it
        self.ctx.settings_changed.connect(setup.rescan_models)
        self.ctx.settings_changed.connect(lambda: self.load_options.set_defaults(self.ctx.settings))
        self.ways_in.connect()

    def _build_shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            ("Ctrl+Return", lambda: self.send()),
            ("Ctrl+Enter", lambda: self.send()),
            ("Escape", self._escape),
            ("Ctrl+N", self.new_chat),
        ):
            QShortcut(QKeySequence(keys), self, slot, context=context)

    def _escape(self) -> None:
        if self.is_generating:
            self.stop()
        elif self.is_loading:
            self.cancel_load()

    # --------------------------------------------------------------- state

    @property
    def conversation(self) -> ChatConversation:
        """The conversation shown now (the session's)."""
        return self.session.conversation

    @property
    def is_ready(self) -> bool:
        """Runtimes and devices are discovered."""
        return self.session.ready

    @property
    def busy(self) -> bool:
        """True until runtimes and models are discovered (tools.screenshots.pages waits on it)."""
        return not self.is_ready

    @property
    def is_loading(self) -> bool:
        return self.session.loading

    @property
    def is_generating(self) -> bool:
        return self.session.generating

    def last_stats_text(self) -> str:
        replies = [w for w in self.messages_view.message_widgets() if w.role == "assistant"]
        return replies[-1].stats_text() if replies else ""

    def update_state(self, *_: object) -> None:
        """Enable what fits now: loaded or not, loading, replying."""
        session = self.session
        loaded, generating, loading, can_chat = (
            session.loaded is not None, session.generating, session.loading, session.can_chat
        )
        self.send_button.setEnabled(can_chat)
        self.stop_button.setEnabled(generating)
        self.regenerate_button.setEnabled(can_chat and self.conversation.can_regenerate)
        self.model_picker.set_busy(loading or generating or not session.ready)
        self.load_options.setEnabled(not loading and not generating)
        self.messages_view.set_editing_enabled(can_chat)
        self.input_box.setPlaceholderText(
            "Message (Ctrl+Return to send)" if loaded else "Load a model to start chatting"
        )

    # ------------------------------------------- actions (see the parts)

    def load_model(self, path: str | Path | None = None) -> None:
        """Load ``path`` (or the picker's choice) with the options shown."""
        self.model_setup.load_model(path)

    def reload_model(self) -> None:
        """Load the last model again with the same options (the banner's Reload)."""
        self.model_setup.reload_model()

    def cancel_load(self) -> None:
        self.model_setup.cancel_load()

    def send(self, text: str | None = None) -> None:
        """Send ``text`` (default: the input box) and the attached images, and stream the reply."""
        self.replies.send(text)

    def regenerate(self) -> None:
        """Replace the last reply with a new one."""
        self.replies.regenerate()

    def edit_message(self, index: int, text: str) -> None:
        """Replace user message ``index`` with ``text``, drop what followed, ask again."""
        self.replies.edit_message(index, text)

    def stop(self) -> None:
        self.replies.stop()

    def new_chat(self) -> None:
        self.conversation_manager.new_chat()

    def open_conversation(self, conversation_id: str) -> None:
        self.conversation_manager.open_conversation(conversation_id)

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        self.conversation_manager.rename_conversation(conversation_id, title)

    def delete_conversation(self, conversation_id: str) -> None:
        self.conversation_manager.delete_conversation(conversation_id)

    def shutdown(self) -> None:
        """Stop loading and streaming. Queued saves still finish: the disk
        thread is joined when the interpreter exits."""
        self.session.close()
        self.model_setup.shutdown()
        self.ways_in.shutdown()
