"""Generation parameters inside PNG files, so a dropped image restores its settings.

Two text chunks: `parameters`, in the format AUTOMATIC1111's web UI writes (most tools read
it), and `dreampixel`, a JSON object with everything we know. Reading prefers the JSON.
"""

from __future__ import annotations

import contextlib
import json
import re
import struct
import zlib
from typing import Any

from PIL import PngImagePlugin

from dreampixel.core.settings import settings
from services.images.validation import PNG_MAGIC, ImageTooLarge

JSON_CHUNK = "dreampixel"
A1111_CHUNK = "parameters"
MAX_CHUNK_CHARS = 64_000
# What a text chunk may expand to when read back; ours are at most MAX_CHUNK_CHARS characters.
MAX_TEXT_BYTES = 1024 * 1024


def pnginfo(params: dict[str, Any]) -> PngImagePlugin.PngInfo:
    """The text chunks describing `params` (prompt, negative_prompt, seed, steps, ...)."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt(A1111_CHUNK, a1111_text(params)[:MAX_CHUNK_CHARS])
    info.add_itxt(JSON_CHUNK, json.dumps(params, sort_keys=True, separators=(",", ":"))[:MAX_CHUNK_CHARS])
    return info


def a1111_text(params: dict[str, Any]) -> str:
    lines = [str(params.get("prompt", ""))]
    if params.get("negative_prompt"):
        lines.append(f"Negative prompt: {params['negative_prompt']}")
    fields = [
        ("Steps", params.get("steps")),
        ("CFG scale", params.get("guidance_scale")),
        ("Seed", params.get("seed")),
        ("Size", f"{params['width']}x{params['height']}" if params.get("width") and params.get("height") else None),
        ("Model", params.get("model") or params.get("provider")),
    ]
    lines.append(", ".join(f"{name}: {value}" for name, value in fields if value not in (None, "")))
    return "\n".join(lines)


_FIELD = re.compile(r"\s*([A-Za-z][A-Za-z ]*?):\s*([^,]+)(?:,|$)")


def parse_a1111(text: str) -> dict[str, Any]:
    """Read AUTOMATIC1111's `parameters` text back into our field names."""
    lines = text.strip().splitlines()
    if not lines:
        return {}
    settings_line = lines[-1] if re.match(r"^\s*Steps:", lines[-1]) else ""
    body = lines[:-1] if settings_line else lines
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    in_negative = False
    for line in body:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line.removeprefix("Negative prompt:").strip()
        (negative_lines if in_negative else prompt_lines).append(line)
    params: dict[str, Any] = {"prompt": "\n".join(prompt_lines).strip()}
    if negative_lines:
        params["negative_prompt"] = "\n".join(negative_lines).strip()
    raw = {name.strip(): value.strip() for name, value in _FIELD.findall(settings_line)}
    if "Steps" in raw and raw["Steps"].isdigit():
        params["steps"] = int(raw["Steps"])
    if "CFG scale" in raw:
        with contextlib.suppress(ValueError):
            params["guidance_scale"] = float(raw["CFG scale"])
    if "Seed" in raw and raw["Seed"].lstrip("-").isdigit():
        params["seed"] = int(raw["Seed"])
    if "Size" in raw and re.fullmatch(r"\d+x\d+", raw["Size"]):
        width, height = raw["Size"].split("x")
        params["width"], params["height"] = int(width), int(height)
    if "Model" in raw:
        params["model"] = raw["Model"]
    return params


def read_parameters(data: bytes, *, max_dimension: int | None = None) -> dict[str, Any] | None:
    """The generation parameters embedded in a PNG, or None when it carries none.

    Reads the text chunks without decoding a pixel (Pillow's `text` decodes the whole image
    first), so a small file declaring a huge canvas costs nothing; a canvas wider or taller
    than `max_dimension` (MAX_IMAGE_DIMENSION by default) is refused from its header.
    """
    text = png_text(data, max_dimension=settings.max_image_dimension if max_dimension is None else max_dimension)
    if JSON_CHUNK in text:
        try:
            parsed = json.loads(text[JSON_CHUNK])
            if isinstance(parsed, dict):
                return parsed
        except json.JSONDecodeError:
            pass
    if A1111_CHUNK in text:
        return parse_a1111(text[A1111_CHUNK]) or None
    return None


def png_text(data: bytes, *, max_dimension: int) -> dict[str, str]:
    """Our two text chunks of a PNG (tEXt, zTXt or iTXt), read from the chunk list alone."""
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return {}
    width, height = struct.unpack(">II", data[16:24])
    if width > max_dimension or height > max_dimension:
        raise ImageTooLarge(f"Images can be at most {max_dimension} pixels on each side ({width}x{height}).")
    found: dict[str, str] = {}
    offset = len(PNG_MAGIC)
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IEND":
            break
        entry = _text_chunk(kind, body)
        if entry is not None and entry[0] in (JSON_CHUNK, A1111_CHUNK):
            found[entry[0]] = entry[1]
    return found


def _text_chunk(kind: bytes, body: bytes) -> tuple[str, str] | None:
    key, _, rest = body.partition(b"\0")
    name = key.decode("latin-1")
    try:
        if kind == b"tEXt":
            return name, rest.decode("latin-1")
        if kind == b"zTXt":
            return name, _inflate(rest[1:]).decode("latin-1")
        if kind == b"iTXt":
            compressed, _method, rest = rest[0], rest[1], rest[2:]
            _language, _, rest = rest.partition(b"\0")
            _translated, _, value = rest.partition(b"\0")
            return name, (_inflate(value) if compressed else value).decode("utf-8")
    except (IndexError, UnicodeDecodeError, zlib.error):
        return None
    return None


def _inflate(data: bytes) -> bytes:
    """Decompress a text chunk, refusing one that expands past MAX_TEXT_BYTES (a zip bomb)."""
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_TEXT_BYTES)
    if inflater.unconsumed_tail:
        raise zlib.error("text chunk too large")
    return text
