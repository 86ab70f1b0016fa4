"""Where the user writes: the input box, Send / Stop / Regenerate, and the
images to send along (Attach…, paste, drop), with what the loaded model can
see. Images are offered only when the model was loaded with its mmproj."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from runtimes.requests import Image
from ui.chat.widgets.attachments import AttachmentStrip, image_sources
from ui.shell.context import AppContext
from ui.shell.resources import icon

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp);;All files (*)"


class ComposerInput(QPlainTextEdit):
    """The input box; pictures pasted or dropped into it become attachments, not text."""

    images_offered = Signal(QMimeData)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(image_sources(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if image_sources(source):
            self.images_offered.emit(source)
        else:
            super().insertFromMimeData(source)


class ChatComposer(QWidget):
    problem = Signal(str)  # a picture that cannot be used, in words

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.input_box = ComposerInput()
        self.input_box.setPlaceholderText("Message (Ctrl+Return to send)")
        self.input_box.setMaximumHeight(110)
        self.send_button = QPushButton("Send", toolTip="Send the message (Ctrl+Return)")
        self.stop_button = QPushButton("Stop", toolTip="Stop the reply (Escape)")
        self.regenerate_button = QPushButton("Regenerate", toolTip="Replace the last reply with a new one")
        self.attach_button = QToolButton(text="Image…", icon=icon("image"))
        self.attach_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.attach_button.clicked.connect(self.choose_files)
        self.attachments = AttachmentStrip()
        self.attachments.problem.connect(self.problem)
        self.vision_label = QLabel("", objectName="statsLine")
        self.vision_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.input_box.images_offered.connect(self.offer)
        self._vision: dict | None = None
        self._drop_targets: list[QObject] = []

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.attach_button)
        tools.addWidget(self.vision_label, 1)
        buttons = QVBoxLayout()
        for button in (self.send_button, self.stop_button, self.regenerate_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.input_box, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.attachments)
        layout.addLayout(tools)
        layout.addLayout(row)

        ctx.model_loaded.connect(lambda loaded: self.set_model_info(loaded.session.info))
        ctx.model_unloaded.connect(lambda: self.set_model_info(None))
        self.set_model_info(None)

    # ------------------------------------------------------------- vision

    @property
    def can_see_images(self) -> bool:
        return self._vision is not None

    def set_model_info(self, info: dict | None) -> None:
        """What the loaded model (None: no model) can do with pictures."""
        self._vision = (info or {}).get("vision")
        warning = (info or {}).get("vision_warning")
        self.attach_button.setEnabled(self._vision is not None)
        if self._vision is not None:
            per_image = self._vision.get("image_tokens")
            self.vision_label.setText(f"Vision on · {per_image} tokens per image" if per_image else "Vision on")
            self.vision_label.setToolTip(
                f"mmproj: {self._vision['mmproj']}\n{self._vision['projector']} projector, "
                f"{self._vision['handler']} prompt format ({self._vision['handler_reason']})\n{self._vision['pairing']}"
            )
            self.attach_button.setToolTip("Attach PNG, JPEG or WebP images (or paste / drop them here)")
        else:
            self.vision_label.setText(f"⚠ {warning}" if warning else "")
            self.vision_label.setToolTip(warning or "")
            self.attach_button.setToolTip(warning or "Load a vision model together with its mmproj to send images")

    # --------------------------------------------------------------- input

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Attach images", "", IMAGE_FILTER)
        self.attach_files(paths)

    def attach_files(self, paths: list[str]) -> None:
        self.offer_sources(list(paths))

    def offer(self, mime: QMimeData) -> None:
        """Pictures pasted or dropped: attach them if the model can see them."""
        self.offer_sources(image_sources(mime))

    def offer_sources(self, sources: list) -> None:
        if not sources:
            return
        if not self.can_see_images:
            self.problem.emit("The loaded model cannot see images: load a vision model together with its mmproj "
                              "(Model options → Vision) to send pictures.")
            return
        self.attachments.add_sources(sources)

    def take_images(self) -> list[Image]:
        """The pending images, removed from the strip (they go with the message being sent)."""
        images = self.attachments.images()
        self.attachments.clear()
        return images

    def accept_drops_on(self, widget: QWidget) -> None:
        """Let pictures be dropped anywhere on ``widget`` (the chat page)."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)
        self._drop_targets.append(widget)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched in self._drop_targets and kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if image_sources(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif watched in self._drop_targets and kind == QEvent.Type.Drop and image_sources(event.mimeData()):
            event.acceptProposedAction()
            self.offer(event.mimeData())
            return True
        return super().eventFilter(watched, event)
