"""The demo vision model and test pictures, shared by the vision tests."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_vlm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"model": text model, "mmproj": its projector}, in a folder of their own."""
    from models.demo.mmproj import build_demo_vlm

    files = dict(build_demo_vlm(tmp_path_factory.mktemp("demo-vlm"), None))
    return {"model": files["vlm text model"], "mmproj": files["vlm mmproj"]}


def picture(color: tuple[int, int, int], size: tuple[int, int] = (96, 64), fmt: str = "PNG", **save) -> bytes:
    """A small picture: a colored field with a white square, encoded as ``fmt``."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, color)
    ImageDraw.Draw(im).rectangle((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(255, 255, 255))
    buffer = io.BytesIO()
    im.save(buffer, fmt, **save)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` but holds almost no data (a bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body
