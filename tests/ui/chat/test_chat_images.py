"""Images in the Chat page, driven like a user would, against the demo VLM."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from models.demo.mmproj import MmprojSpec, write_mmproj
from tests.support.vision_fixtures import demo_vlm, picture  # noqa: F401 (fixture)
from ui.shell.app import create_window
from ui.shell.context import AppContext

LOAD_MS = 30_000
REPLY_MS = 30_000


@pytest.fixture
def window(qtbot, demo_vlm):  # noqa: F811
    ctx = AppContext(Settings(n_ctx=512, n_threads=2, models_dir=str(demo_vlm["model"].parent)))
    win = create_window(ctx)
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    page = win.pages["Chat"]
    qtbot.waitUntil(lambda: page.is_ready, timeout=LOAD_MS)
    page.sampling_form.max_tokens.setValue(6)
    yield win
    page.stop()
    page.cancel_load()
    qtbot.waitUntil(lambda: not page.is_generating and not page.is_loading, timeout=REPLY_MS)
    qtbot.waitUntil(lambda: page.disk.pending == 0, timeout=10_000)
    win.close()
    QThreadPool.globalInstance().waitForDone(10_000)
    win.deleteLater()


def load(qtbot, page, path: Path) -> None:
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS):
        page.load_model(path)
    qtbot.waitUntil(lambda: not page.is_loading and page.send_button.isEnabled(), timeout=LOAD_MS)


def image_file(tmp_path: Path, name: str, color=(200, 40, 40), fmt="PNG") -> Path:
    path = tmp_path / name
    path.write_bytes(picture(color, size=(320, 200), fmt=fmt))
    return path


def drop(widget, mime: QMimeData) -> QDropEvent:
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


def test_attach_an_image_and_get_a_streamed_reply_about_it(qtbot, window, demo_vlm, tmp_path):  # noqa: F811
    page = window.pages["Chat"]
    qtbot.waitUntil(lambda: "name matches" in page.load_options.vision.note.text(), timeout=LOAD_MS)
    load(qtbot, page, demo_vlm["model"])
    composer = page.composer
    assert composer.can_see_images and composer.attach_button.isEnabled()
    assert composer.vision_label.text() == "Vision on · 64 tokens per image"

    composer.attach_files([str(image_file(tmp_path, "red.png"))])
    qtbot.waitUntil(lambda: len(composer.attachments.images()) == 1, timeout=10_000)
    assert composer.attachments.isVisible()

    tokens: list[str] = []
    page.generation.token.connect(lambda text, _n: tokens.append(text))
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.input_box.setPlainText("What is in this picture?")
        qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_generating, timeout=REPLY_MS)
    stats = finished.args[0]
    assert (stats.n_images, stats.n_image_tokens, stats.n_gen) == (1, 64, 6)
    assert len(tokens) >= 2  # streamed token by token, not in one piece
    assert composer.attachments.images() == [] and not composer.attachments.isVisible()

    user, reply = page.messages_view.message_widgets()
    assert "".join(tokens) == reply.text()
    assert "1 image: 64 tok, encoded in" in page.last_stats_text()
    strip = user.image_strip
    qtbot.waitUntil(lambda: not strip.loading, timeout=10_000)
    assert len(strip.thumbs) == 1 and not strip.thumbs[0].icon().isNull()

    strip.thumbs[0].click()  # the larger view
    viewer = strip.thumbs[0].viewer
    qtbot.waitUntil(lambda: viewer.picture.pixmap() is not None and not viewer.picture.pixmap().isNull(),
                    timeout=10_000)
    assert viewer.picture.pixmap().width() == 320 and "red.png · 320×200" in viewer.caption.text()
    viewer.close()

    # The picture is saved with the chat and comes back when it is reopened.
    qtbot.waitUntil(lambda: page.disk.pending == 0, timeout=10_000)
    saved = page.store.load(page.conversation.id)
    assert [len(m.images) for m in saved.messages] == [1, 0]


def test_paste_and_drop_attach_pictures_and_bad_ones_are_explained(qtbot, window, demo_vlm, tmp_path):  # noqa: F811
    page = window.pages["Chat"]
    load(qtbot, page, demo_vlm["model"])
    attachments = page.composer.attachments

    pasted = QMimeData()
    pasted.setImageData(QImage(64, 48, QImage.Format.Format_RGB32))
    assert page.input_box.canInsertFromMimeData(pasted)
    page.input_box.insertFromMimeData(pasted)  # what Ctrl+V does
    qtbot.waitUntil(lambda: len(attachments.images()) == 1, timeout=10_000)
    assert attachments.images()[0].name == "pasted image 1" and page.input_box.toPlainText() == ""

    dropped = QMimeData()
    dropped.setUrls([QUrl.fromLocalFile(str(image_file(tmp_path, "blue.webp", (0, 0, 255), "WEBP")))])
    assert drop(page.messages_view.viewport(), dropped).isAccepted()  # dropped on the transcript
    qtbot.waitUntil(lambda: len(attachments.images()) == 2, timeout=10_000)

    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    junk = QMimeData()
    junk.setUrls([QUrl.fromLocalFile(str(bad))])
    drop(page.input_box.viewport(), junk)
    qtbot.waitUntil(lambda: "notes.png is not a PNG, JPEG or WebP image" in page.error_banner.message,
                    timeout=10_000)
    assert len(attachments.images()) == 2

    attachments.remove(attachments.images()[0])
    assert [i.name for i in attachments.images()] == ["blue.webp"]


def test_a_text_only_load_refuses_pictures_with_a_reason(qtbot, window, demo_vlm, tmp_path):  # noqa: F811
    page = window.pages["Chat"]
    page.model_picker.select_path(demo_vlm["model"])
    page.load_options.vision.mmproj_combo.setCurrentIndex(1)  # "None (text only)"
    load(qtbot, page, demo_vlm["model"])
    composer = page.composer
    assert not composer.can_see_images and not composer.attach_button.isEnabled()
    assert "looks like a vision model" in composer.vision_label.text()
    composer.attach_files([str(image_file(tmp_path, "red.png"))])
    assert "cannot see images" in page.error_banner.message
    assert composer.attachments.images() == []


def test_a_mismatched_mmproj_is_shown_before_loading_and_refused(qtbot, window, demo_vlm, tmp_path):  # noqa: F811
    page = window.pages["Chat"]
    other = write_mmproj(tmp_path / "mmproj-bigger-model-F32.gguf", MmprojSpec(projection_dim=512, mm_hidden=512))
    page.model_picker.select_path(demo_vlm["model"])
    vision = page.load_options.vision
    vision.choose_file(other)
    qtbot.waitUntil(lambda: "does not fit" in vision.note.text(), timeout=10_000)
    assert "512" in vision.note.text() and "256" in vision.note.text()

    page.load_model()
    qtbot.waitUntil(lambda: "does not fit" in page.error_banner.message, timeout=LOAD_MS)
    assert "512" in page.error_banner.message and page.ctx.loaded is None
