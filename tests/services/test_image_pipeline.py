"""The image pipeline: what it accepts, what it refuses and why, and what it makes."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from services.images.parameters import a1111_text, parse_a1111, read_parameters
from services.images.pipeline import PipelineSettings, derive
from services.images.validation import InvalidImage, validate

SETTINGS = PipelineSettings(max_bytes=2 * 1024 * 1024, max_dimension=2048)
PARAMS = {"prompt": "a lighthouse at dusk", "negative_prompt": "fog", "seed": 4242, "steps": 30,
          "guidance_scale": 7.5, "width": 640, "height": 480, "provider": "local"}


def picture(width: int = 640, height: int = 480, fmt: str = "PNG", **save: object) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(buffer, fmt, **save)
    return buffer.getvalue()


def refused(data: bytes) -> InvalidImage:
    with pytest.raises(InvalidImage) as caught:
        validate(data, max_bytes=SETTINGS.max_bytes, max_dimension=SETTINGS.max_dimension)
    return caught.value


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_png_jpeg_and_webp_are_accepted_by_content(fmt: str) -> None:
    checked = validate(picture(fmt=fmt), max_bytes=SETTINGS.max_bytes, max_dimension=SETTINGS.max_dimension)
    assert (checked.format, checked.width, checked.height) == (fmt, 640, 480)


def test_a_file_over_the_byte_limit_is_refused() -> None:
    error = refused(b"\x89PNG\r\n\x1a\n" + b"\0" * SETTINGS.max_bytes)
    assert (error.code, error.status_code) == ("image_too_large", 413)


def test_a_side_over_the_dimension_limit_is_refused() -> None:
    error = refused(picture(2100, 16))
    assert error.code == "image_too_large" and "2100x16" in error.message


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    # 30000 x 30000 black pixels compress to a few hundred kilobytes of PNG.
    row = b"\0" + b"\0" * 30000
    raw = zlib.compress(row * 30000, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = (30000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    assert len(bomb) < SETTINGS.max_bytes
    assert refused(bomb).code == "decompression_bomb"


def test_a_truncated_image_is_refused() -> None:
    assert refused(picture(fmt="JPEG")[:3000]).code == "invalid_image"
    whole = picture()
    assert refused(whole[: len(whole) // 2]).code == "invalid_image"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "web page"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "GIF"),
        (b"%PDF-1.7\n", "PDF"),
        (b"hello, I am text named cat.png", "not a PNG, JPEG or WebP"),
    ],
)
def test_other_formats_are_refused_with_a_clear_message(data: bytes, says: str) -> None:
    error = refused(data)
    assert (error.code, error.status_code) == ("unsupported_image_type", 415)
    assert says in error.message


def test_a_png_with_a_page_after_its_end_is_a_polyglot() -> None:
    assert refused(picture() + b"<html><script>alert(1)</script></html>").code == "polyglot_image"


def test_a_jpeg_with_html_in_a_comment_is_a_polyglot() -> None:
    jpeg = picture(fmt="JPEG")
    comment = b"<html><script>alert(document.cookie)</script>"
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    assert refused(jpeg[:2] + segment + jpeg[2:]).code == "polyglot_image"


def test_a_png_with_a_zip_appended_is_a_polyglot() -> None:
    assert refused(picture() + b"PK\x03\x04" + b"\0" * 20 + b"PK\x05\x06" + b"\0" * 18).code == "polyglot_image"


def test_exif_orientation_is_applied_and_metadata_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "SecretCam"
    source = picture(640, 480, "JPEG", exif=exif.tobytes())
    derived = derive(source, SETTINGS, output_format="jpeg")
    full = Image.open(io.BytesIO(derived.full.data))
    assert full.size == (480, 640), "the image is stored upright"
    assert dict(full.getexif()) == {}
    assert b"SecretCam" not in derived.full.data


def test_derivatives_have_the_promised_sizes_and_formats() -> None:
    derived = derive(picture(2048, 1536), SETTINGS, output_format="webp", extra_formats=("png", "jpeg"))
    sizes = {name: (enc.content_type, enc.width, enc.height) for name, enc in
             {"full": derived.full, "medium": derived.medium, "thumb": derived.thumbnail}.items()}
    assert sizes == {"full": ("image/webp", 2048, 1536), "medium": ("image/webp", 1024, 768),
                     "thumb": ("image/webp", 256, 192)}
    assert Image.open(io.BytesIO(derived.thumbnail.data)).format == "WEBP"
    assert {fmt: enc.content_type for fmt, enc in derived.extra_formats.items()} == {
        "png": "image/png", "jpeg": "image/jpeg"}


def test_the_perceptual_hash_survives_re_encoding_but_tells_images_apart() -> None:
    original = derive(picture(), SETTINGS)
    as_jpeg = derive(picture(fmt="JPEG", quality=70), SETTINGS)
    other = derive(_noise_png(), SETTINGS)
    assert len(original.perceptual_hash) * 4 == SETTINGS.hash_size**2
    distance = lambda a, b: bin(int(a, 16) ^ int(b, 16)).count("1")  # noqa: E731
    assert distance(original.perceptual_hash, as_jpeg.perceptual_hash) <= 12
    assert distance(original.perceptual_hash, other.perceptual_hash) > 60


def _noise_png() -> bytes:
    rng = np.random.default_rng(7)
    buffer = io.BytesIO()
    Image.fromarray((rng.random((480, 640, 3)) * 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def test_png_outputs_carry_their_parameters_and_read_back() -> None:
    derived = derive(picture(), SETTINGS, output_format="png", params=PARAMS)
    assert read_parameters(derived.full.data) == PARAMS
    text = Image.open(io.BytesIO(derived.full.data)).text["parameters"]
    assert text.startswith("a lighthouse at dusk\nNegative prompt: fog\nSteps: 30, CFG scale: 7.5, Seed: 4242")


def test_a1111_parameters_from_other_tools_are_understood() -> None:
    text = ("masterpiece, a castle on a hill\nat night\nNegative prompt: blurry, lowres\n"
            "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 123456789, Size: 768x512, Model: sdxl")
    assert parse_a1111(text) == {"prompt": "masterpiece, a castle on a hill\nat night",
                                 "negative_prompt": "blurry, lowres", "steps": 28, "guidance_scale": 6.5,
                                 "seed": 123456789, "width": 768, "height": 512, "model": "sdxl"}
    assert parse_a1111(a1111_text(PARAMS))["seed"] == 4242


def test_images_without_parameters_read_as_none() -> None:
    assert read_parameters(picture(fmt="JPEG")) is None
    assert read_parameters(picture()) is None
    assert read_parameters(b"not an image") is None
