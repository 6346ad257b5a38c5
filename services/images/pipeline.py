"""The image pipeline: validated bytes in, encoded derivatives and hashes out.

Pure functions of bytes, so they run in a process pool. The settings that matter were
measured (see PERFORMANCE.md and bench/bench_pipeline.py): PNG with the Z_RLE strategy,
WebP method 4, reduce-then-resample resizing, the thumbnail made from the medium, and the
perceptual hash taken from the thumbnail.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any, Literal

import imagehash
from PIL import Image, ImageOps

from services.images.parameters import pnginfo
from services.images.validation import validate

OutputFormat = Literal["png", "jpeg", "webp"]
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
THUMBNAIL_SIZE = 256
MEDIUM_SIZE = 1024
PNG_COMPRESS_LEVEL = 6
PNG_Z_RLE = 3  # zlib strategy: ~3.5x faster than the default filter for +0.6 % bytes
WEBP_METHOD = 4  # full-size WebP downloads: libwebp's default effort (6 costs 2.3x for 2 % smaller)
# Medium and thumbnail are display copies: method 2 encodes 2x faster at the same size, -0.13 dB.
WEBP_METHOD_DERIVATIVE = 2
EXIF_ORIENTATION = 0x0112


@dataclass
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Derived:
    """Everything the pipeline makes of one image."""

    full: Encoded
    medium: Encoded
    thumbnail: Encoded
    sha256: str  # of the source bytes as received
    perceptual_hash: str
    extra_formats: dict[str, Encoded] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineSettings:
    max_bytes: int
    max_dimension: int
    image_quality: int = 90
    thumbnail_quality: int = 80
    hash_size: int = 16


def _normalise_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "RGBA"):
        return image
    has_alpha = image.mode in ("LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")


def _upright(image: Image.Image) -> Image.Image:
    # exif_transpose copies the whole image: only pay for it when there is a turn to make.
    orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    if orientation in (None, 1):
        return image
    return ImageOps.exif_transpose(image)


def _fit(image: Image.Image, size: int) -> Image.Image:
    if max(image.size) <= size:
        return image
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return copy


def encode(
    image: Image.Image,
    fmt: OutputFormat,
    *,
    quality: int,
    params: dict[str, Any] | None = None,
    webp_method: int = WEBP_METHOD,
) -> Encoded:
    """Encode with the measured settings; PNGs carry `params` as text chunks."""
    buffer = io.BytesIO()
    if fmt == "png":
        extra = {"pnginfo": pnginfo(params)} if params else {}
        image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL, compress_type=PNG_Z_RLE, **extra)
    elif fmt == "jpeg":
        flat = image.convert("RGB") if image.mode != "RGB" else image
        # Baseline, like sharp's default: progressive encoding costs 5x the CPU for a few % of bytes.
        flat.save(buffer, "JPEG", quality=quality, optimize=False, progressive=False, subsampling="4:2:0")
    else:
        image.save(buffer, "WEBP", quality=quality, method=webp_method)
    return Encoded(buffer.getvalue(), CONTENT_TYPES[fmt], image.width, image.height)


def perceptual_hash(image: Image.Image, hash_size: int) -> str:
    return str(imagehash.phash(image, hash_size=hash_size))


def derive(
    data: bytes,
    settings: PipelineSettings,
    *,
    output_format: OutputFormat = "png",
    params: dict[str, Any] | None = None,
    extra_formats: tuple[OutputFormat, ...] = (),
) -> Derived:
    """Validate `data` and produce the full image (re-encoded, metadata stripped), medium and thumbnail."""
    checked = validate(data, max_bytes=settings.max_bytes, max_dimension=settings.max_dimension)
    image = _normalise_mode(_upright(checked.image))
    medium = _fit(image, MEDIUM_SIZE)
    thumbnail = _fit(medium, THUMBNAIL_SIZE)
    full = encode(image, output_format, quality=settings.image_quality, params=params)
    return Derived(
        full=full,
        medium=encode(medium, "webp", quality=settings.image_quality, webp_method=WEBP_METHOD_DERIVATIVE),
        thumbnail=encode(thumbnail, "webp", quality=settings.thumbnail_quality, webp_method=WEBP_METHOD_DERIVATIVE),
        sha256=hashlib.sha256(data).hexdigest(),
        perceptual_hash=perceptual_hash(thumbnail, settings.hash_size),
        extra_formats={
            fmt: encode(image, fmt, quality=settings.image_quality, params=params)
            for fmt in extra_formats
            if fmt != output_format
        },
    )
