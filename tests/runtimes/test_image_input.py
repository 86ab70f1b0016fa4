"""Image checks before anything reaches llama.cpp: every bad image gets its own message."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from runtimes.errors import ImageError
from runtimes.image_input import RESIZE_TO, prepare_image
from runtimes.requests import Image
from tests.support.vision_fixtures import picture, png_header_only


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_supported_formats_decode_to_rgb(fmt: str):
    prepared = prepare_image(Image(data=picture((200, 30, 30), fmt=fmt)))
    assert prepared.format == fmt
    assert prepared.size == (96, 64) and not prepared.resized
    assert len(prepared.rgb) == 96 * 64 * 3
    r, g, b = prepared.rgb[:3]  # top-left pixel is the red field (JPEG/WebP are lossy: roughly)
    assert r > 150 and g < 80 and b < 80


def test_file_path_is_read(tmp_path: Path):
    path = tmp_path / "photo.webp"
    path.write_bytes(picture((0, 0, 255), fmt="WEBP"))
    prepared = prepare_image(Image(path=str(path)))
    assert prepared.name == "photo.webp" and prepared.size == (96, 64)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"hello, I am plain text and not a picture", "not a PNG, JPEG or WebP"),
        (b"", "is empty"),
        (b"GIF89a" + b"\0" * 32, "not a PNG, JPEG or WebP"),
        (png_header_only(0, 0), "no pixels (0×0)"),
        (png_header_only(20000, 20000), "20000×20000 pixels, too large"),
        (png_header_only(16000, 9000), "16000×9000 pixels, too large"),  # sides fine, 144 megapixels not
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not a valid PNG"),
    ],
    ids=["text", "empty", "gif", "zero", "bomb", "megapixels", "corrupt-header"],
)
def test_bad_images_are_refused_with_a_reason(data: bytes, words: str):
    with pytest.raises(ImageError) as caught:
        prepare_image(Image(data=data, name="pic"))
    assert words in str(caught.value) and str(caught.value).startswith("pic ")


def test_bomb_is_refused_without_decoding():
    started = time.perf_counter()
    with pytest.raises(ImageError, match="too large"):
        prepare_image(Image(data=png_header_only(20000, 20000)))
    assert time.perf_counter() - started < 0.5  # 1.2 GB of pixels were never allocated


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_pixel_data_is_refused(fmt: str):
    data = picture((10, 200, 10), size=(400, 300), fmt=fmt)
    with pytest.raises(ImageError, match="corrupt or truncated|not a valid"):
        prepare_image(Image(data=data[: len(data) // 2], name="half"))


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(ImageError, match="image not found"):
        prepare_image(Image(path=str(tmp_path / "nope.png")))
    with pytest.raises(ImageError, match="is a folder"):
        prepare_image(Image(path=str(tmp_path)))


def test_large_image_is_scaled_down_keeping_its_shape():
    prepared = prepare_image(Image(data=picture((0, 0, 0), size=(3000, 1000))))
    assert prepared.original_size == (3000, 1000)
    assert prepared.size == (RESIZE_TO, round(RESIZE_TO / 3)) and prepared.resized
    assert len(prepared.rgb) == prepared.size[0] * prepared.size[1] * 3


def test_exif_orientation_is_applied():
    from PIL import Image as PILImage

    im = PILImage.new("RGB", (80, 40), (0, 0, 255))
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", exif=exif)
    assert prepare_image(Image(data=buffer.getvalue())).size == (40, 80)


def test_transparency_becomes_white():
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGBA", (4, 4), (255, 0, 0, 0)).save(buffer, "PNG")  # fully transparent red
    assert prepare_image(Image(data=buffer.getvalue())).rgb[:3] == b"\xff\xff\xff"


def test_image_needs_exactly_one_source():
    with pytest.raises(ValueError):
        Image()
    with pytest.raises(ValueError):
        Image(path="a.png", data=b"x")
