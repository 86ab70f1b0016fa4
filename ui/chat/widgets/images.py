"""Pictures in the chat: thumbnails under a message, a larger view on click.

Decoding goes through runtimes.image_input (Pillow) on a worker thread, the
same checks and EXIF rotation the model gets, so what is shown is what the
model sees and a large photo never stalls the GUI thread.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from runtimes.errors import ImageError
from runtimes.image_input import prepare_image
from runtimes.requests import Image
from ui.shell.workers import GeneratorWorker, start_worker

THUMB_PX = 88  # thumbnails are at most this big on each side
VIEW_PX = 1600  # the larger view decodes up to this


def to_qimage(image: Image, max_side: int) -> tuple[QImage, tuple[int, int]]:
    """``image`` as a QImage no larger than ``max_side``, and its original size
    (any thread; raises ImageError)."""
    prepared = prepare_image(image, max_side=max_side)
    width, height = prepared.size
    picture = QImage(prepared.rgb, width, height, 3 * width, QImage.Format.Format_RGB888).copy()  # own the pixels
    return picture, prepared.original_size


def decode_all(images: list[Image], max_side: int) -> Iterator[tuple[int, QImage | None, str]]:
    """(index, picture or None, caption or problem) for each image; a worker job."""
    for index, image in enumerate(images):
        try:
            picture, (width, height) = to_qimage(image, max_side)
            yield index, picture, f"{image.name or 'Image'} · {width}×{height}"
        except ImageError as exc:
            yield index, None, str(exc)


class ImageThumb(QToolButton):
    """One thumbnail; clicking it opens the larger view."""

    def __init__(self, image: Image, parent: QWidget | None = None) -> None:
        super().__init__(parent, autoRaise=True, objectName="imageThumb")
        self.image = image
        self.setIconSize(QPixmap(THUMB_PX, THUMB_PX).size())
        self.setFixedSize(THUMB_PX + 8, THUMB_PX + 8)
        self.setText("…")
        self.setToolTip(f"{image.name or 'Image'}: click to view")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.clicked.connect(self.open_viewer)
        self.viewer: ImageViewer | None = None

    def set_picture(self, picture: QImage | None, caption: str = "") -> None:
        if picture is None:
            self.setText("⚠")
            self.setToolTip(caption)
            return
        self.setText("")
        self.setIcon(QPixmap.fromImage(picture))
        self.setToolTip(f"{caption}: click to view")

    def open_viewer(self) -> None:
        self.viewer = ImageViewer(self.image, self.window())
        self.viewer.show()


class ImageStrip(QWidget):
    """A row of thumbnails, decoded in the background."""

    def __init__(self, images: list[Image], parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="imageStrip")
        self.thumbs = [ImageThumb(image, self) for image in images]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(6)
        for thumb in self.thumbs:
            layout.addWidget(thumb)
        layout.addStretch(1)
        self._worker: GeneratorWorker | None = None
        if images:
            snapshot = list(images)
            self._worker = start_worker(lambda cancel: decode_all(snapshot, THUMB_PX), on_yield=self._on_decoded,
                                        on_finish=self._on_finished)

    @property
    def loading(self) -> bool:
        return self._worker is not None

    def _on_decoded(self, result: tuple[int, QImage | None, str]) -> None:
        index, picture, problem = result
        self.thumbs[index].set_picture(picture, problem)

    def _on_finished(self) -> None:
        self._worker = None


def attach_thumbnails(message_widget: QWidget, images: list[Image]) -> ImageStrip | None:
    """Show ``images`` in a chat message, between its header and its text."""
    if not images:
        return None
    strip = ImageStrip(images, message_widget)
    message_widget.layout().insertWidget(1, strip)
    message_widget.image_strip = strip
    return strip


class ImageViewer(QDialog):
    """The picture as large as the screen allows; Escape or a click closes it."""

    loaded = Signal()

    def __init__(self, image: Image, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(image.name or "Image")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.picture = QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(200, 150)
        self.caption = QLabel("", objectName="statsLine", alignment=Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        self._worker = start_worker(lambda cancel: decode_all([image], VIEW_PX), on_yield=self._on_decoded)

    def _on_decoded(self, result: tuple[int, QImage | None, str]) -> None:
        _, picture, caption = result
        if picture is None:
            self.picture.setText(caption)
            return
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableSize()
        pixmap = QPixmap.fromImage(picture)
        keep = Qt.AspectRatioMode.KeepAspectRatio
        limit = pixmap.size().scaled(int(screen.width() * 0.8), int(screen.height() * 0.8), keep)
        if pixmap.width() > limit.width():  # fit the screen; small pictures stay pixel for pixel
            pixmap = pixmap.scaled(limit, keep, Qt.TransformationMode.SmoothTransformation)
        self.picture.setPixmap(pixmap)
        self.caption.setText(caption)
        self.adjustSize()
        self.loaded.emit()

    def mousePressEvent(self, event) -> None:
        self.close()
