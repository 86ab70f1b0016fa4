"""The Chat page's model side: find the runtimes and model files, then load,
reload or cancel loading the chosen model, one load at a time.

Discovery and loading run on worker threads (ui.shell.workers, ChatModelLoader);
their results arrive here on the GUI thread and go to the model picker, status
line, progress bar and error banner. Whether the runtimes are known and a load
runs is the session's (``app.chat.session``), so the page can redraw from it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QWidget

from app.chat.session import ChatSession
from ui.chat.generation import crash_message
from ui.chat.model_loader import ChatModelLoader, LoadRequest, failure_details
from ui.common.error_banner import ChatErrorBanner
from ui.model_picker.discovery import Discovery, discover, model_files
from ui.model_picker.load_options import ModelLoadOptionsForm
from ui.model_picker.load_progress import ModelLoadProgress
from ui.model_picker.picker import ModelPicker
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker
from ui.speculative.chat_panel import SpecChatPanel


class ChatModelSetup(QObject):
    def __init__(self, session: ChatSession, ctx: AppContext, loader: ChatModelLoader, *,
                 model_picker: ModelPicker, load_options: ModelLoadOptionsForm, spec_panel: SpecChatPanel,
                 model_status: QLabel, load_progress: ModelLoadProgress, error_banner: ChatErrorBanner,
                 input_box: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)  # a QObject in the GUI thread, so signals from other threads are queued to it
        self._session = session
        self._ctx = ctx
        self._loader = loader
        self._picker = model_picker
        self._load_options = load_options
        self._spec_panel = spec_panel
        self._status = model_status
        self._progress = load_progress
        self._error_banner = error_banner
        self._input_box = input_box
        self._load_when_ready = False
        self._queued_load: LoadRequest | None = None  # asked for while another load ran
        self._discovery: GeneratorWorker | None = None
        self._rescan: GeneratorWorker | None = None

    # ----------------------------------------------------------- discovery

    def discover(self) -> None:
        if self._session.closing:
            return
        settings = self._ctx.settings
        recent, models_dir = list(settings.recent_models), settings.models_dir

        def job(cancel):
            yield discover(recent, models_dir)

        self._discovery = start_worker(job, on_yield=self._on_discovered, on_error=self._on_discovery_failed)

    def _on_discovered(self, found: Discovery) -> None:
        self._discovery = None
        self._picker.set_models(found.models)
        self._load_options.set_runtimes(found.runtimes)
        if not found.runtimes:
            self._error_banner.show_error(
                "No runtime that can generate text works on this computer, so models cannot be loaded.",
                "\n".join(found.unavailable),
            )
        self._session.mark_ready()
        if self._load_when_ready:
            self._load_when_ready = False
            self.load_model()

    def _on_discovery_failed(self, exc: Exception, details: str) -> None:
        self._discovery = None
        self._error_banner.show_error(f"Could not look for runtimes and models: {exc}", details)
        self._session.mark_ready()

    def rescan_models(self) -> None:
        settings = self._ctx.settings
        recent, models_dir = list(settings.recent_models), settings.models_dir
        self._picker.models_dir = models_dir

        def job(cancel):
            yield model_files(recent, models_dir)

        # Keep a reference: the pool does not own workers (autoDelete is off).
        self._rescan = start_worker(job, on_yield=self._picker.set_models)

    # ------------------------------------------------------------- loading

    def load_model(self, path: str | Path | None = None) -> None:
        """Load ``path`` (or the picker's choice) with the options shown."""
        session, picker = self._session, self._picker
        if path:
            picker.select_path(path)
        if not session.ready:
            self._load_when_ready = True
            return
        if session.generating:
            session.when_idle(self.load_model)
            return
        model, runtime = picker.current_path(), self._load_options.runtime_name()
        try:
            options = self._load_options.options()
        except ValueError as exc:  # options the runtime rejects, e.g. a bad KV-cache type
            self._error_banner.show_error(f"These load options are not valid: {exc}.")
            return
        if model is None or runtime is None or options is None:
            self._error_banner.show_error("Choose a model file and a runtime first.")
            return
        options = self._spec_panel.apply(options, runtime)
        self._start_load(LoadRequest(model, runtime, options))

    def reload_model(self) -> None:
        """Load the last model again with the same options (the banner's Reload)."""
        if self._loader.last_request is not None:
            self._start_load(self._loader.last_request)

    def cancel_load(self) -> None:
        if self._session.loading:
            self._queued_load = None
            self._progress.cancelling()
            self._loader.cancel()
            self._session.load_cancelling()

    def _start_load(self, request: LoadRequest) -> None:
        if self._session.loading:  # the newest request wins
            self._queued_load = request
            self._loader.cancel()
            self._session.load_cancelling()
            return
        self._error_banner.clear()
        if self._session.loaded is not None:
            self._ctx.model_unloaded.emit()  # ModelHost.load closes it before loading the new one
        self._status.setText(f"Loading {request.path.name}…")
        self._progress.start(request.path.name)
        self._loader.load(request)
        self._session.load_started()

    def on_loaded(self, loaded) -> None:
        seconds = self._progress.elapsed_s
        status = f"{loaded.path.name} · {loaded.runtime} · {loaded.device.upper()} · loaded in {seconds:.1f} s"
        if loaded.session.info.get("chat_template_note"):  # no template in the file: say which one chats use
            status += f" · chat template: llama.cpp's {loaded.session.info['chat_template']!r}"
        self._status.setText(status)
        self._ctx.model_loaded.emit(loaded)
        self._ctx.settings.add_recent(loaded.path)
        self._ctx.save_settings()  # written on the context's settings thread
        self._input_box.setFocus()

    def on_load_failed(self, message: str, details: str) -> None:
        self._status.setText("No model loaded")
        self._error_banner.show_error(message, details, can_reload=True)
        self._ctx.model_failed.emit(message)

    def on_worker_died(self, loaded, crash) -> None:
        """The model's worker died while no reply ran (the watcher saw it):
        say so with Reload now, rather than fail the next message."""
        if self._session.loaded is not loaded or self._session.generating:
            return  # already replaced, or the reply in flight reports the crash itself
        message = crash_message(crash)
        self._error_banner.show_error(message, failure_details(crash, f"{type(crash).__name__}: {crash}"),
                                      can_reload=True)
        self.drop_dead_model(message)  # model_unloaded: the page redraws

    def drop_dead_model(self, message: str) -> None:
        """Forget a model whose worker died; every page hears it is gone."""
        ctx = self._ctx
        ctx.model_failed.emit(message)
        ctx.models.unload()  # instant: the worker is already dead
        self._status.setText("No model loaded (the model worker died)")
        ctx.model_unloaded.emit()

    def on_load_cancelled(self) -> None:
        self._status.setText("Loading cancelled; no model loaded")

    def on_load_ended(self) -> None:
        self._progress.stop()
        self._session.load_ended()
        queued, self._queued_load = self._queued_load, None
        if queued is not None and not self._session.closing:
            self._start_load(queued)

    def shutdown(self) -> None:
        """Cancel a load and discovery (close the session first: a queued load is then dropped)."""
        self._loader.cancel()
        if self._discovery is not None:
            self._discovery.quit()
