"""Chat page: pick and load a model, chat with it, keep conversations.

A thin adapter: conversation logic lives in ``app.chat_conversation``,
storage in ``app.conversation_store``, loading in ``app.model_host``. This
page wires them to widgets and keeps the GUI thread free: loading, streaming,
runtime discovery and every disk write run on worker threads.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.chat_conversation import ChatConversation
from app.conversation_store import ConversationStore
from runtimes.events import GenerationStats
from ui.context import AppContext
from ui.widgets.chat_composer import ChatComposer
from ui.widgets.chat_conversation_list import ChatConversationList
from ui.widgets.chat_disk_queue import DiskQueue
from ui.widgets.chat_error_banner import ChatErrorBanner
from ui.widgets.chat_generation import ChatGeneration
from ui.widgets.chat_message import ChatMessageWidget
from ui.widgets.chat_model_loader import ChatModelLoader, LoadRequest
from ui.widgets.chat_sampling import ChatSamplingForm
from ui.widgets.chat_transcript import ChatTranscript
from ui.widgets.metrics_strip import MetricsStrip
from ui.widgets.model_discovery import Discovery, discover, model_files
from ui.widgets.model_load_options import ModelLoadOptionsForm
from ui.widgets.model_load_progress import ModelLoadProgress
from ui.widgets.model_picker import ModelPicker
from ui.widgets.spec_chat_panel import SpecChatPanel
from ui.workers import GeneratorWorker, start_worker


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
    * ``conversation`` (ChatConversation shown now), ``store``
      (ConversationStore), ``disk.pending`` (queued saves not yet done).
    * ``error_banner`` (ChatErrorBanner: ``message``, ``reload_button``),
      ``model_status`` (QLabel), ``model_picker``, ``load_options``,
      ``sampling_form``, ``system_prompt_box``, ``conversation_list``.
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
        self.conversation = ChatConversation()
        self.is_ready = False  # runtimes and devices discovered
        self._load_when_ready = False
        self._queued_load: LoadRequest | None = None  # asked for while another load ran
        self._after_generation: list[Callable[[], None]] = []
        self._reply_widget: ChatMessageWidget | None = None
        self._opening_id: str | None = None
        self._discovery: GeneratorWorker | None = None
        self._rescan: GeneratorWorker | None = None
        self._closing = False

        self._build()
        self._connect()
        self._build_shortcuts()
        # Discovery imports llama.cpp (~0.4 s of CPU); let the window paint first.
        QTimer.singleShot(50, self._discover)
        self._refresh_conversations()
        self._update_state()

    # ------------------------------------------------------------- building

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

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.conversation_list)
        splitter.addWidget(center)
        splitter.addWidget(self._build_side_panel())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([180, 680, 270])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _build_side_panel(self) -> QWidget:
        self.load_options = ModelLoadOptionsForm(self.ctx.settings)
        self.system_prompt_box = QPlainTextEdit()
        self.system_prompt_box.setPlaceholderText("Optional instructions the model sees before the chat")
        self.system_prompt_box.setMaximumHeight(120)
        self.sampling_form = ChatSamplingForm()
        self.spec_panel = SpecChatPanel()
        self.spec_panel.attach(self)  # before _connect: it adds the speedup to stats the page then stores

        panel = QWidget()
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 4, 0)
        for title, widget in (
            ("Model options", self.load_options),
            ("System prompt", self.system_prompt_box),
            ("Sampling", self.sampling_form),
            ("Speculative decoding", self.spec_panel),
        ):
            group = QGroupBox(title)
            QVBoxLayout(group).addWidget(widget)
            column.addWidget(group)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(panel)
        # Wide enough for the widest form: with no horizontal scrollbar, less would clip it.
        scroll.setMinimumWidth(panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        return scroll

    def _connect(self) -> None:
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

        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.loader.cancelled.connect(self._on_load_cancelled)
        self.loader.ended.connect(self._on_load_ended)
        self.generation.token.connect(self._on_token)
        self.generation.done.connect(self._on_reply_done)
        self.generation.failed.connect(self._on_reply_failed)
        self.generation.ended.connect(self._on_generation_ended)

        self.conversation_list.new_requested.connect(self.new_chat)
        self.conversation_list.open_requested.connect(self.open_conversation)
        self.conversation_list.rename_requested.connect(self.rename_conversation)
        self.conversation_list.delete_requested.connect(self.delete_conversation)
        self.disk.failed.connect(self._on_disk_failed)

        self.ctx.open_model_requested.connect(self.load_model)
        self.ctx.model_loaded.connect(self._update_state)
        self.ctx.model_unloaded.connect(self._update_state)
        self.ctx.settings_changed.connect(self._rescan_models)

    def _build_shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            ("Ctrl+Return", lambda: self.send()),
            ("Ctrl+Enter", lambda: self.send()),
            ("Escape", self._escape),
            ("Ctrl+N", self.new_chat),
        ):
            QShortcut(QKeySequence(keys), self, slot, context=context)

    # --------------------------------------------------------------- state

    @property
    def busy(self) -> bool:
        """True until runtimes and models are discovered (ui.screenshots waits on it)."""
        return not self.is_ready

    @property
    def is_loading(self) -> bool:
        return self.loader.busy

    @property
    def is_generating(self) -> bool:
        return self.generation.running

    def last_stats_text(self) -> str:
        replies = [w for w in self.messages_view.message_widgets() if w.role == "assistant"]
        return replies[-1].stats_text() if replies else ""

    def _update_state(self, *_: object) -> None:
        loaded = self.ctx.loaded is not None
        generating, loading = self.is_generating, self.is_loading
        can_chat = loaded and not generating and not loading
        self.send_button.setEnabled(can_chat)
        self.stop_button.setEnabled(generating)
        self.regenerate_button.setEnabled(can_chat and self.conversation.can_regenerate)
        self.model_picker.set_busy(loading or generating or not self.is_ready)
        self.load_options.setEnabled(not loading and not generating)
        self.messages_view.set_editing_enabled(can_chat)
        self.input_box.setPlaceholderText(
            "Message (Ctrl+Return to send)" if loaded else "Load a model to start chatting"
        )

    # ----------------------------------------------------------- discovery

    def _discover(self) -> None:
        if self._closing:
            return
        settings = self.ctx.settings
        recent, models_dir = list(settings.recent_models), settings.models_dir

        def job(cancel):
            yield discover(recent, models_dir)

        self._discovery = start_worker(job, on_yield=self._on_discovered, on_error=self._on_discovery_failed)

    def _on_discovered(self, found: Discovery) -> None:
        self._discovery = None
        self.model_picker.set_models(found.models)
        self.load_options.set_runtimes(found.runtimes)
        self.is_ready = True
        if not found.runtimes:
            self.error_banner.show_error(
                "No runtime that can generate text works on this computer, so models cannot be loaded.",
                "\n".join(found.unavailable),
            )
        self._update_state()
        if self._load_when_ready:
            self._load_when_ready = False
            self.load_model()

    def _on_discovery_failed(self, exc: Exception, details: str) -> None:
        self._discovery = None
        self.is_ready = True
        self.error_banner.show_error(f"Could not look for runtimes and models: {exc}", details)
        self._update_state()

    def _rescan_models(self) -> None:
        settings = self.ctx.settings
        recent, models_dir = list(settings.recent_models), settings.models_dir
        self.model_picker.models_dir = models_dir

        def job(cancel):
            yield model_files(recent, models_dir)

        # Keep a reference: the pool does not own workers (autoDelete is off).
        self._rescan = start_worker(job, on_yield=self.model_picker.set_models)

    # ------------------------------------------------------------- loading

    def load_model(self, path: str | Path | None = None) -> None:
        """Load ``path`` (or the picker's choice) with the options shown."""
        if path:
            self.model_picker.select_path(path)
        if not self.is_ready:
            self._load_when_ready = True
            return
        if self.is_generating:
            self._when_idle(self.load_model)
            return
        model, runtime = self.model_picker.current_path(), self.load_options.runtime_name()
        try:
            options = self.load_options.options()
        except ValueError as exc:  # options the runtime rejects, e.g. a bad KV-cache type
            self.error_banner.show_error(f"These load options are not valid: {exc}.")
            return
        if model is None or runtime is None or options is None:
            self.error_banner.show_error("Choose a model file and a runtime first.")
            return
        options = self.spec_panel.apply(options, runtime)
        self._start_load(LoadRequest(model, runtime, options))

    def reload_model(self) -> None:
        """Load the last model again with the same options (the banner's Reload)."""
        if self.loader.last_request is not None:
            self._start_load(self.loader.last_request)

    def cancel_load(self) -> None:
        if self.is_loading:
            self._queued_load = None
            self.load_progress.cancelling()
            self.loader.cancel()

    def _start_load(self, request: LoadRequest) -> None:
        if self.is_loading:  # the newest request wins
            self._queued_load = request
            self.loader.cancel()
            return
        self.error_banner.clear()
        if self.ctx.loaded is not None:
            self.ctx.model_unloaded.emit()  # ModelHost.load closes it before loading the new one
        self.model_status.setText(f"Loading {request.path.name}…")
        self.load_progress.start(request.path.name)
        self.loader.load(request)
        self._update_state()

    def _on_loaded(self, loaded) -> None:
        seconds = self.load_progress.elapsed_s
        self.model_status.setText(
            f"{loaded.path.name} · {loaded.runtime} · {loaded.device.upper()} · loaded in {seconds:.1f} s"
        )
        self.ctx.model_loaded.emit(loaded)
        self.ctx.settings.add_recent(loaded.path)
        self.ctx.save_settings()  # written on the context's settings thread
        self.input_box.setFocus()

    def _on_load_failed(self, message: str, details: str) -> None:
        self.model_status.setText("No model loaded")
        self.error_banner.show_error(message, details, can_reload=True)
        self.ctx.model_failed.emit(message)

    def _on_load_cancelled(self) -> None:
        self.model_status.setText("Loading cancelled; no model loaded")

    def _on_load_ended(self) -> None:
        self.load_progress.stop()
        queued, self._queued_load = self._queued_load, None
        if queued is not None and not self._closing:
            self._start_load(queued)
        self._update_state()

    # ---------------------------------------------------------- generating

    def send(self, text: str | None = None) -> None:
        """Send ``text`` (default: the input box) and the attached images, and stream the reply."""
        text = self.input_box.toPlainText() if text is None else text
        images = self.composer.attachments.images()
        if not (text.strip() or images) or not self.send_button.isEnabled():
            return
        self._take_settings()
        index = self.conversation.add_user(text, self.composer.take_images())
        self.input_box.clear()
        self.messages_view.add_message(self.conversation.messages[index])
        self._save_conversation()
        self._generate(self.conversation.request)

    def regenerate(self) -> None:
        """Replace the last reply with a new one."""
        if not self.regenerate_button.isEnabled():
            return
        self._take_settings()
        self._generate(self.conversation.regenerate)

    def edit_message(self, index: int, text: str) -> None:
        """Replace user message ``index`` with ``text``, drop what followed, ask again."""
        if not self.send_button.isEnabled():
            return
        self._take_settings()
        self._generate(lambda: self.conversation.edit_and_resend(index, text))
        self.messages_view.message_widgets()[index].set_content(text)

    def stop(self) -> None:
        self.generation.stop()

    def _escape(self) -> None:
        if self.is_generating:
            self.stop()
        elif self.is_loading:
            self.cancel_load()

    def _take_settings(self) -> None:
        """The side panel's system prompt and sampling apply from this message on."""
        self.conversation.system_prompt = self.system_prompt_box.toPlainText()
        self.conversation.sampling = self.sampling_form.sampling()

    def _generate(self, make_request: Callable[[], object]) -> None:
        loaded = self.ctx.loaded
        if loaded is None:
            return
        try:
            request = make_request()
        except ValueError as exc:
            self.error_banner.show_error(f"Nothing to send: {exc}.")
            return
        self._opening_id = None  # a reopen still in flight must not replace this chat
        self.messages_view.truncate(len(self.conversation.messages))
        reply = self.conversation.begin_reply()
        self._reply_widget = self.messages_view.add_message(reply)
        self._reply_widget.begin_stream()
        self.error_banner.clear()
        self.generation.start(loaded.session, request)
        self.ctx.generation_started.emit()
        self._update_state()

    def _on_token(self, text: str, n_tokens: int) -> None:
        self.conversation.add_to_reply(text)
        if self._reply_widget is not None:
            self._reply_widget.append_stream(text)
        if n_tokens:
            self.ctx.token_streamed.emit(n_tokens)

    def _on_reply_done(self, stats: GenerationStats) -> None:
        self.conversation.end_reply(stats.as_dict())
        if self._reply_widget is not None:
            self._reply_widget.end_stream(stats.as_dict())
        self.ctx.generation_finished.emit(stats)
        self._save_conversation()

    def _on_reply_failed(self, message: str, details: str, worker_died: bool) -> None:
        self.conversation.end_reply(None)
        if self.conversation.messages and self.conversation.messages[-1].role == "assistant":
            if self._reply_widget is not None:
                self._reply_widget.end_stream(None, note="interrupted")
        else:
            self.messages_view.truncate(len(self.conversation.messages))
        self.error_banner.show_error(message, details, can_reload=worker_died)
        self.ctx.generation_finished.emit(None)
        if worker_died:
            self.ctx.model_failed.emit(message)
            self.ctx.models.unload()  # instant: the generation worker already closed the dead session
            self.model_status.setText("No model loaded (the model worker died)")
            self.ctx.model_unloaded.emit()
        self._save_conversation()

    def _on_generation_ended(self) -> None:
        self._reply_widget = None
        actions, self._after_generation = self._after_generation, []
        self._update_state()
        if not self._closing:
            for action in actions:
                action()

    def _when_idle(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or stop the reply and run it once the reply has ended."""
        if self.is_generating:
            self._after_generation.append(action)
            self.stop()
        else:
            action()

    # ------------------------------------------------------- conversations

    def new_chat(self) -> None:
        self._when_idle(self._new_chat)

    def _new_chat(self) -> None:
        self._opening_id = None
        self._take_settings()
        self.conversation = ChatConversation(
            system_prompt=self.conversation.system_prompt, sampling=self.conversation.sampling
        )
        self.messages_view.set_messages([])
        self.conversation_list.list.clearSelection()
        self.conversation_list.list.setCurrentItem(None)
        self.input_box.setFocus()
        self._update_state()

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self.conversation.id and not self.is_generating:
            return
        self._when_idle(lambda: self._open(conversation_id))

    def _open(self, conversation_id: str) -> None:
        self._opening_id = conversation_id
        self.disk.submit(self.store.load, conversation_id, on_done=self._show_conversation)

    def _show_conversation(self, conversation: ChatConversation) -> None:
        if conversation.id != self._opening_id or self.is_generating:
            return  # the user moved on while it was being read
        self._opening_id = None
        self.conversation = conversation
        self.messages_view.set_messages(conversation.messages)
        self.system_prompt_box.setPlainText(conversation.system_prompt)
        self.sampling_form.set_sampling(conversation.sampling)
        item = self.conversation_list.item_for(conversation.id)
        if item is not None:
            self.conversation_list.list.setCurrentItem(item)
        self._update_state()

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        if conversation_id == self.conversation.id:
            self.conversation.title = title  # or the next save would undo the rename
        self.disk.submit(self.store.rename, conversation_id, title, on_done=lambda _: self._refresh_conversations())

    def delete_conversation(self, conversation_id: str) -> None:
        if conversation_id == self.conversation.id:
            # Stop first: a reply finishing later would save the chat again.
            self._when_idle(lambda: self._delete(conversation_id, current=True))
        else:
            self._delete(conversation_id, current=False)

    def _delete(self, conversation_id: str, current: bool) -> None:
        if current:
            self._new_chat()
        self.disk.submit(self.store.delete, conversation_id, on_done=lambda _: self._refresh_conversations())

    def _save_conversation(self) -> None:
        if not self.conversation.messages:
            return
        snapshot = copy.deepcopy(self.conversation)  # later edits must not race the writer thread
        self.disk.submit(self.store.save, snapshot, on_done=lambda _: self._refresh_conversations())

    def _refresh_conversations(self) -> None:
        self.disk.submit(
            self.store.list,
            on_done=lambda items: self.conversation_list.set_conversations(items, self.conversation.id),
        )

    def _on_disk_failed(self, exc: Exception, details: str) -> None:
        self.error_banner.show_error(f"Conversations could not be read or saved: {exc}", details)

    # ------------------------------------------------------------ shutdown

    def shutdown(self) -> None:
        """Stop loading and streaming. Queued saves still finish: the disk
        thread is joined when the interpreter exits."""
        self._closing = True
        self.loader.cancel()
        self.generation.stop()
        if self._discovery is not None:
            self._discovery.quit()
