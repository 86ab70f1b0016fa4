"""Save a PNG of a chat with pictures: the demo VLM loaded with its mmproj,
two images sent with a question, the streamed reply and its stats line.

    python -m tools.screenshots.vision_chat OUT.png [--theme light|dark]

Also saves OUT-viewer.png, the larger view a click on a thumbnail opens.
Builds the demo VLM in a temp folder (random weights: the reply is noise,
but every pixel of the image went through the encoder). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

SIZE = (1280, 820)


def scene(path: Path, sky: tuple[int, int, int], sun: tuple[int, int, int]) -> Path:
    """A small drawn landscape, so the thumbnails read as pictures."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (480, 320), sky)
    draw = ImageDraw.Draw(im)
    draw.ellipse((340, 40, 420, 120), fill=sun)
    draw.polygon([(0, 320), (160, 150), (330, 320)], fill=(70, 110, 80))
    draw.polygon([(180, 320), (360, 170), (480, 260), (480, 320)], fill=(50, 90, 70))
    draw.rectangle((60, 250, 140, 320), fill=(180, 90, 60))
    draw.polygon([(50, 250), (100, 210), (150, 250)], fill=(120, 50, 40))
    im.save(path)
    return path


def _wait(app, condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the chat did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--theme", default=None)
    args = parser.parse_args(argv)

    import os

    work = Path(tempfile.mkdtemp(prefix="workbench-vision-shot-"))
    os.environ.setdefault("WORKBENCH_HOME", str(work / "home"))

    from PySide6.QtWidgets import QApplication

    from app.settings import Settings
    from models.demo.mmproj import build_demo_vlm
    from ui.shell.app import create_window
    from ui.shell.context import AppContext

    files = dict(build_demo_vlm(work / "models", None))
    pictures = [scene(work / "valley.png", (150, 200, 240), (250, 210, 60)),
                scene(work / "dusk.jpg", (240, 150, 110), (255, 240, 200))]
    app = QApplication.instance() or QApplication(["workbench-vision-shot"])
    theme = {"theme": args.theme} if args.theme else {}
    ctx = AppContext(Settings(n_ctx=1024, n_threads=2, models_dir=str(work / "models"), **theme))
    window = create_window(ctx)
    window.resize(*SIZE)
    window.show()
    page = window.pages["Chat"]
    _wait(app, lambda: page.is_ready)
    page.sampling_form.max_tokens.setValue(48)
    page.sampling_form.seed.setValue(7)
    page.load_model(files["vlm text model"])
    _wait(app, lambda: ctx.loaded is not None and page.send_button.isEnabled())
    page.composer.attach_files([str(p) for p in pictures])
    _wait(app, lambda: len(page.composer.attachments.images()) == 2)
    page.send("What is different between these two pictures?")
    _wait(app, lambda: not page.is_generating and bool(page.last_stats_text()))
    user = page.messages_view.message_widgets()[0]
    _wait(app, lambda: not user.image_strip.loading)
    for _ in range(30):  # let layouts and paints settle
        app.processEvents()
        time.sleep(0.02)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(args.out), "PNG"):
        raise OSError(f"could not write {args.out}")
    # The larger view a click on a thumbnail opens.
    thumb = user.image_strip.thumbs[0]
    thumb.click()
    _wait(app, lambda: thumb.viewer is not None and thumb.viewer.picture.pixmap() is not None
          and not thumb.viewer.picture.pixmap().isNull())
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    viewer_file = args.out.with_name(args.out.stem + "-viewer.png")
    thumb.viewer.grab().save(str(viewer_file), "PNG")
    thumb.viewer.close()
    print(json.dumps({"file": str(args.out), "viewer": str(viewer_file), "platform": app.platformName(),
                      "stats": page.last_stats_text(), "vision": page.composer.vision_label.text()}))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
