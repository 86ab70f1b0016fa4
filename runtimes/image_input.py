"""Image input for vision models: check, decode and normalise with Pillow.

The size is read from the file header before any pixel is decoded, so a
20000x20000 "decompression bomb" is refused in microseconds instead of
allocating gigabytes. Images that are large but sane are scaled down (the
encoders resize to a few hundred pixels anyway). The result is 8-bit RGB with
EXIF orientation applied and transparency flattened onto white, which is what
mtmd's bitmap takes, so llama.cpp never decodes a file itself (its stb_image
would not read WebP, and it would trust the header).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

from runtimes.errors import ImageError
from runtimes.requests import Image

FORMATS = ("PNG", "JPEG", "WEBP")
MAX_FILE_BYTES = 64 << 20
MAX_SIDE = 16384  # larger is refused: no camera makes it, bombs do
MAX_PIXELS = 80_000_000  # ~ a 9000x9000 picture; decoding it needs ~320 MB
RESIZE_TO = 2048  # longest side handed to the encoder; larger images are scaled down


@dataclass(frozen=True)
class PreparedImage:
    name: str  # file name or "pasted image", for messages
    format: str  # "PNG", "JPEG" or "WEBP"
    original_size: tuple[int, int]
    size: tuple[int, int]  # after any downscale
    rgb: bytes  # size[0] * size[1] * 3 bytes

    @property
    def resized(self) -> bool:
        return self.size != self.original_size


def sniff_format(data: bytes) -> str | None:
    """The format from the magic bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def read_image_bytes(image: Image) -> tuple[str, bytes]:
    """(display name, file bytes) of ``image``; refuses unreadable or huge files."""
    if image.data is not None:
        name, data = image.name or "pasted image", bytes(image.data)
        _check_file_size(name, len(data))
    else:
        path = Path(image.path or "")
        name = image.name or path.name
        try:
            _check_file_size(name, path.stat().st_size)  # before reading: never load a huge file
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImageError(f"image not found: {path}") from None
        except IsADirectoryError:
            raise ImageError(f"{path} is a folder, not an image") from None
        except OSError as exc:
            raise ImageError(f"cannot read image {path}: {exc.strerror or exc}") from None
    if not data:
        raise ImageError(f"{name} is empty")
    return name, data


def _check_file_size(name: str, n_bytes: int) -> None:
    if n_bytes > MAX_FILE_BYTES:
        raise ImageError(f"{name} is {n_bytes / 2**20:.0f} MiB; files over {MAX_FILE_BYTES >> 20} MiB are refused")


def check_size(name: str, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"{name} has no pixels ({width}×{height})")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageError(
            f"{name} is {width}×{height} pixels, too large to decode safely "
            f"(limit {MAX_SIDE} px a side and {MAX_PIXELS // 1_000_000} megapixels); scale it down first"
        )


def _png_header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR, for messages when Pillow refuses the header."""
    if len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _open_header(name: str, fmt: str, data: bytes):
    """Parse only the header with the format's own plugin: unlike Image.open it
    does not stop at Pillow's bomb limit before we can read the size."""
    from PIL import JpegImagePlugin, PngImagePlugin, WebPImagePlugin

    plugin = {"PNG": PngImagePlugin.PngImageFile, "JPEG": JpegImagePlugin.JpegImageFile,
              "WEBP": WebPImagePlugin.WebPImageFile}[fmt]
    try:
        return plugin(io.BytesIO(data))
    except (SyntaxError, OSError, ValueError, struct.error, EOFError) as exc:
        size = _png_header_size(data) if fmt == "PNG" else None
        if size is not None:
            check_size(name, *size)  # a 0×0 header is refused by Pillow as "not identified"
        raise ImageError(f"{name} is not a valid {fmt} image (corrupt header: {exc})") from None


def prepare_image(image: Image, max_side: int = RESIZE_TO) -> PreparedImage:
    """Decode ``image`` into RGB, refusing anything but a sane PNG, JPEG or WebP."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    name, data = read_image_bytes(image)
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageError(f"{name} is not a PNG, JPEG or WebP image")
    im = _open_header(name, fmt, data)
    check_size(name, *im.size)
    original = im.size
    try:
        if fmt == "JPEG":
            im.draft("RGB", (max_side, max_side))  # decode big JPEGs at 1/2..1/8 scale: fast, little memory
        im.load()
        im = ImageOps.exif_transpose(im)
        im = _to_rgb(im)
    except (OSError, ValueError, SyntaxError, EOFError, PILImage.DecompressionBombError) as exc:
        raise ImageError(f"{name} is corrupt or truncated ({exc})") from None
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), PILImage.Resampling.LANCZOS)
    return PreparedImage(name, fmt, original, im.size, im.tobytes())


def _to_rgb(im):
    """8-bit RGB; transparent areas become white (as a viewer shows them)."""
    from PIL import Image as PILImage

    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        return PILImage.alpha_composite(background, rgba).convert("RGB")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.point(lambda v: v / 256).convert("L")  # 16-bit grey: keep the top byte
    return im.convert("RGB")
