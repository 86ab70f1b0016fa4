"""The Chat page's model side: find the runtimes and model files, then load,
reload or cancel loading the chosen model, one load at a time.

Discovery and loading run on worker threads (ui.shell.workers, ChatModelLoader);
their results arrive here on the GUI thread and go to the page's model
picker, status line, progress bar and error banner.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from ui.chat.generation import crash_message
from ui.chat.model_loader import LoadRequest, failure_details
from ui.model_picker.discovery import Discovery, discover, model_files
from ui.shell.workers import GeneratorWorker, start_worker

if TYPE_CHECKING:
    from ui.chat.page import ChatPage


class ChatModelSetup(QObject):
    def __init__(self, page: ChatPage) -> None:
        super().__init__(page)  # a QObject in the GUI thread, so signals from other threads are queued to it
        self._page = page
        self.is_ready = False  # runtimes and devices discovered
        self._load_when_ready = False
        self._queued_load: LoadRequest | None = None  # asked for while another load ran
        self._discovery: GeneratorWorker | None = None
        self._rescan: GeneratorWorker | None = None
        self._closing = False

    # ----------------------------------------------------------- discovery

    def discover(self) -> None:
        if self._closing:
            return
        settings = self._page.ctx.settings
        recent, models_dir = list(settings.recent_models), settings.models_dir

        def job(cancel):
            yield discover(recent, models_dir)

        self._discovery = start_worker(job, on_yield=self._on_discovered, on_error=self._on_discovery_failed)

    def _on_discovered(self, found: Discovery) -> None:
        page = self._page
        self._discovery = None
        page.model_picker.set_models(found.models)
        page.load_options.set_runtimes(found.runtimes)
        self.is_ready = True
        if not found.runtimes:
            page.error_banner.show_error(
                "No runtime that can generate text works on this computer, so models cannot be loaded.",
                "\n".join(found.unavailable),
            )
        page.update_state()
        if self._load_when_ready:
            self._load_when_ready = False
            self.load_model()

    def _on_discovery_failed(self, exc: Exception, details: str) -> None:
        self._discovery = None
        self.is_ready = True
        self._page.error_banner.show_error(f"Could not look for runtimes and models: {exc}", details)
        self._page.update_state()

    def rescan_models(self) -> None:
        settings = self._page.ctx.settings
        recent, models_dir = list(settings.recent_models), settings.models_dir
        self._page.model_picker.models_dir = models_dir

        def job(cancel):
            yield model_files(recent, models_dir)

        # Keep a reference: the pool does not own workers (autoDelete is off).
        self._rescan = start_worker(job, on_yield=self._page.model_picker.set_models)

    # ------------------------------------------------------------- loading

    def load_model(self, path: str | Path | None = None) -> None:
        """Load ``path`` (or the picker's choice) with the options shown."""
        page = self._page
        if path:
            page.model_picker.select_path(path)
        if not self.is_ready:
            self._load_when_ready = True
            return
        if page.is_generating:
            page.session.when_idle(self.load_model)
            return
        model, runtime = page.model_picker.current_path(), page.load_options.runtime_name()
        try:
            options = page.load_options.options()
        except ValueError as exc:  # options the runtime rejects, e.g. a bad KV-cache type
            page.error_banner.show_error(f"These load options are not valid: {exc}.")
            return
        if model is None or runtime is None or options is None:
            page.error_banner.show_error("Choose a model file and a runtime first.")
            return
        options = page.spec_panel.apply(options, runtime)
        self._start_load(LoadRequest(model, runtime, options))

    def reload_model(self) -> None:
        """Load the last model again with the same options (the banner's Reload)."""
        if self._page.loader.last_request is not None:
            self._start_load(self._page.loader.last_request)

    def cancel_load(self) -> None:
        page = self._page
        if page.is_loading:
            self._queued_load = None
            page.load_progress.cancelling()
            page.loader.cancel()

    def _start_load(self, request: LoadRequest) -> None:
        page = self._page
        if page.is_loading:  # the newest request wins
            self._queued_load = request
            page.loader.cancel()
            return
        page.error_banner.clear()
        if page.ctx.loaded is not None:
            page.ctx.model_unloaded.emit()  # ModelHost.load closes it before loading the new one
        page.model_status.setText(f"Loading {request.path.name}…")
        page.load_progress.start(request.path.name)
        page.loader.load(request)
        page.update_state()

    def on_loaded(self, loaded) -> None:
        page = self._page
        seconds = page.load_progress.elapsed_s
        status = f"{loaded.path.name} · {loaded.runtime} · {loaded.device.upper()} · loaded in {seconds:.1f} s"
        if loaded.session.info.get("chat_template_note"):  # no template in the file: say which one chats use
            status += f" · chat template: llama.cpp's {loaded.session.info['chat_template']!r}"
        page.model_status.setText(status)
        page.ctx.model_loaded.emit(loaded)
        page.ctx.settings.add_recent(loaded.path)
        page.ctx.save_settings()  # written on the context's settings thread
        page.input_box.setFocus()

    def on_load_failed(self, message: str, details: str) -> None:
        self._page.model_status.setText("No model loaded")
        self._page.error_banner.show_error(message, details, can_reload=True)
        self._page.ctx.model_failed.emit(message)

    def on_worker_died(self, loaded, crash) -> None:
        """The model's worker died while no reply ran (the watcher saw it):
        say so with Reload now, rather than fail the next message."""
        page = self._page
        if page.ctx.loaded is not loaded or page.is_generating:
            return  # already replaced, or the reply in flight reports the crash itself
        message = crash_message(crash)
        page.error_banner.show_error(message, failure_details(crash, f"{type(crash).__name__}: {crash}"),
                                     can_reload=True)
        self.drop_dead_model(message)
        page.update_state()

    def drop_dead_model(self, message: str) -> None:
        """Forget a model whose worker died; every page hears it is gone."""
        page = self._page
        page.ctx.model_failed.emit(message)
        page.ctx.models.unload()  # instant: the worker is already dead
        page.model_status.setText("No model loaded (the model worker died)")
        page.ctx.model_unloaded.emit()

    def on_load_cancelled(self) -> None:
        self._page.model_status.setText("Loading cancelled; no model loaded")

    def on_load_ended(self) -> None:
        self._page.load_progress.stop()
        queued, self._queued_load = self._queued_load, None
        if queued is not None and not self._closing:
            self._start_load(queued)
        self._page.update_state()

    def shutdown(self) -> None:
        """Cancel a load and discovery; a queued load is dropped."""
        self._closing = True
        self._page.loader.cancel()
        if self._discovery is not None:
            self._discovery.quit()
