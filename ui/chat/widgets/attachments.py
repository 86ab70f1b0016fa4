"""Images waiting to be sent with the next message: taken from a file dialog,
the clipboard or a drop, checked on a worker thread, shown as removable
thumbnails above the input box."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QToolButton, QWidget

from runtimes.errors import ImageError
from runtimes.image_input import read_image_bytes
from runtimes.requests import Image
from ui.chat.widgets.images import THUMB_PX, ImageThumb, to_qimage
from ui.shell.workers import GeneratorWorker, start_worker

Source = str | QImage  # a file path, or a picture from the clipboard


def image_sources(mime: QMimeData) -> list[Source]:
    """What in ``mime`` could be a picture: local files (a model file is not),
    else image data (a screenshot on the clipboard)."""
    files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    files = [f for f in files if not f.lower().endswith(".gguf")]
    if files:
        return files
    if mime.hasImage():
        picture = QImage(mime.imageData())
        if not picture.isNull():
            return [picture]
    return []


def read_sources(sources: list[Source], first_paste: int) -> Iterator[tuple[Image | None, QImage | None, str]]:
    """(image, thumbnail, "") or (None, None, problem) per source; a worker job.
    Files are read into memory now, so the chat keeps them if they move."""
    for n, source in enumerate(sources):
        try:
            if isinstance(source, QImage):
                image = Image(data=_png_bytes(source), name=f"pasted image {first_paste + n}")
            else:
                name, data = read_image_bytes(Image(path=source))
                image = Image(data=data, name=name or Path(source).name)
            thumb, _ = to_qimage(image, THUMB_PX)  # the full check: format, size, decodes cleanly
            yield image, thumb, ""
        except ImageError as exc:
            yield None, None, str(exc)


def _png_bytes(picture: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not picture.save(buffer, "PNG"):
        raise ImageError("the pasted picture could not be encoded")
    buffer.close()
    return bytes(data.data())


class AttachmentStrip(QWidget):
    """The pending images; each thumbnail has a button that removes it."""

    changed = Signal()
    problem = Signal(str)  # a source that is not a usable picture

    def __init__(self) -> None:
        super().__init__(objectName="attachmentStrip")
        self._items: list[tuple[Image, QWidget]] = []
        self._workers: list[GeneratorWorker] = []
        self._pasted = 0
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self.setVisible(False)

    @property
    def busy(self) -> bool:
        """Pictures are still being read and checked."""
        return bool(self._workers)

    def images(self) -> list[Image]:
        return [image for image, _ in self._items]

    def add_sources(self, sources: list[Source]) -> None:
        """Check ``sources`` off the GUI thread; good ones appear, bad ones raise ``problem``."""
        if not sources:
            return
        self._pasted += sum(isinstance(s, QImage) for s in sources)
        first = self._pasted - sum(isinstance(s, QImage) for s in sources) + 1
        # on_finish is queued to this thread, so it runs after the append below.
        worker = start_worker(lambda cancel: read_sources(sources, first), on_yield=self._on_read,
                              on_finish=lambda: self._workers.remove(worker))
        self._workers.append(worker)

    def clear(self) -> None:
        for _, item in self._items:
            item.deleteLater()
        self._items.clear()
        self._update()

    def remove(self, image: Image) -> None:
        for entry in list(self._items):
            if entry[0] is image:
                self._items.remove(entry)
                entry[1].deleteLater()
        self._update()

    def _on_read(self, result: tuple[Image | None, QImage | None, str]) -> None:
        image, thumb, problem = result
        if image is None:
            self.problem.emit(problem)
            return
        item = QFrame(objectName="attachment")
        picture = ImageThumb(image, item)
        picture.set_picture(thumb, image.name)
        remove = QToolButton(item, text="✕", toolTip=f"Remove {image.name}", objectName="removeAttachment")
        remove.setFixedSize(20, 20)
        remove.clicked.connect(lambda: self.remove(image))
        grid = QGridLayout(item)  # the remove button sits on the thumbnail's corner
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(picture, 0, 0)
        grid.addWidget(remove, 0, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
        self._layout.insertWidget(self._layout.count() - 1, item)
        self._items.append((image, item))
        self._update()

    def _update(self) -> None:
        self.setVisible(bool(self._items))
        self.changed.emit()
