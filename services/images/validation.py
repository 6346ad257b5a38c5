"""Deciding whether bytes are an image we accept, by their content and never by their name.

Accepted: PNG, JPEG and WebP, within MAX_IMAGE_SIZE bytes and MAX_IMAGE_DIMENSION pixels a
side. Refused with a stable error code: anything else (SVG, HTML, GIF, PDF...), files that
are two formats at once (polyglots), truncated or corrupt files, and decompression bombs.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageFile, UnidentifiedImageError

from dreampixel.core.errors import DreamPixelError

# Refuse partial images instead of silently padding them with grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Markers of content a browser or another parser would treat as something other than an image.
ACTIVE_CONTENT_MARKERS = (b"<script", b"<html", b"<svg", b"<?php", b"<!doctype", b"<iframe", b"<body", b"javascript:")
ZIP_END_OF_DIRECTORY = b"PK\x05\x06"


class InvalidImage(DreamPixelError):
    status_code = 422
    code = "invalid_image"
    title = "Invalid image"


class UnsupportedImageType(InvalidImage):
    status_code = 415
    code = "unsupported_image_type"
    title = "Unsupported image type"


class ImageTooLarge(InvalidImage):
    status_code = 413
    code = "image_too_large"
    title = "Image too large"


class DecompressionBomb(InvalidImage):
    status_code = 413
    code = "decompression_bomb"
    title = "Image expands too much"


@dataclass
class ValidatedImage:
    image: Image.Image
    format: str  # "PNG" | "JPEG" | "WEBP"
    content_type: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The format the leading bytes announce, or None."""
    if data.startswith(PNG_MAGIC):
        return "PNG"
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _describe_unsupported(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return "SVG images are not accepted: upload a PNG, JPEG or WebP."
    if head.startswith((b"<!doctype", b"<html")) or b"<html" in head:
        return "That file is a web page, not an image: upload a PNG, JPEG or WebP."
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF images are not accepted: upload a PNG, JPEG or WebP."
    if data.startswith(b"%PDF"):
        return "PDF files are not accepted: upload a PNG, JPEG or WebP."
    return "That file is not a PNG, JPEG or WebP image."


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = len(PNG_MAGIC)
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        yield kind, data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IEND":
            return


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 2
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows, no more headers
            return
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        yield marker, data[offset + 4 : offset + 2 + length]
        offset += 2 + length


def _webp_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = 12
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        length = int.from_bytes(data[offset + 4 : offset + 8], "little")
        yield kind, data[offset + 8 : offset + 8 + length]
        offset += 8 + length + (length & 1)


def _text_regions(data: bytes, fmt: str) -> Iterator[bytes]:
    """The parts of the file that hold text rather than pixels: where a second format hides."""
    yield data[:1024]
    yield data[-1024:]
    if fmt == "PNG":
        yield from (body for kind, body in _png_chunks(data) if kind not in (b"IDAT", b"IHDR", b"PLTE"))
    elif fmt == "JPEG":
        yield from (body for marker, body in _jpeg_segments(data) if marker == 0xFE or 0xE0 <= marker <= 0xEF)
    else:
        yield from (body for kind, body in _webp_chunks(data) if kind in (b"EXIF", b"XMP ", b"ICCP"))


def _check_single_format(data: bytes, fmt: str) -> None:
    for region in _text_regions(data, fmt):
        lowered = region.lower()
        if any(marker in lowered for marker in ACTIVE_CONTENT_MARKERS):
            raise InvalidImage("This image also contains web content (a polyglot file) and was refused.",
                               code="polyglot_image")
    if ZIP_END_OF_DIRECTORY in data[-65_536:]:
        raise InvalidImage("This image also contains an archive (a polyglot file) and was refused.",
                           code="polyglot_image")
    if fmt == "PNG":
        end = data.rfind(b"IEND")
        if end == -1:
            raise InvalidImage("The image is truncated or damaged.")
        # IEND is followed only by its 4-byte CRC; anything after it is a second payload.
        if len(data) > end + 8:
            raise InvalidImage("This PNG has data after its end (a polyglot or damaged file).",
                               code="polyglot_image")


def validate(data: bytes, *, max_bytes: int, max_dimension: int) -> ValidatedImage:
    """Decode `data` fully and return it, or raise an InvalidImage subclass saying why not."""
    if not data:
        raise InvalidImage("The file is empty.")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"Images can be at most {max_bytes // (1024 * 1024)} MB.")
    fmt = sniff(data)
    if fmt is None:
        raise UnsupportedImageType(_describe_unsupported(data))
    _check_single_format(data, fmt)

    # Pillow's own bomb guard is relative to its global limit: use ours, per call.
    max_pixels = max_dimension * max_dimension
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
            if width * height > max_pixels * 4:
                raise DecompressionBomb(
                    f"This image declares {width}x{height} pixels, far more than its file size suggests is safe."
                )
            if width > max_dimension or height > max_dimension:
                raise ImageTooLarge(f"Images can be at most {max_dimension} pixels on each side ({width}x{height}).")
            if width < 1 or height < 1:
                raise InvalidImage("The image has no pixels.")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise DecompressionBomb("This image expands to far more pixels than it is allowed to.") from error
    except InvalidImage:
        raise
    except UnidentifiedImageError as error:
        raise InvalidImage("The file says it is an image but cannot be read.") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidImage("The image is truncated or damaged.") from error
    return ValidatedImage(image=image, format=fmt, content_type=FORMATS[fmt], width=width, height=height)
