"""Generation parameters inside PNG files, so a dropped image restores its settings.

Two text chunks: `parameters`, in the format AUTOMATIC1111's web UI writes (most tools read
it), and `dreampixel`, a JSON object with everything we know. Reading prefers the JSON.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from typing import Any

from PIL import Image, PngImagePlugin

JSON_CHUNK = "dreampixel"
A1111_CHUNK = "parameters"
MAX_CHUNK_CHARS = 64_000


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


def read_parameters(data: bytes) -> dict[str, Any] | None:
    """The generation parameters embedded in a PNG, or None when it carries none."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                return None
            text = dict(image.text) if hasattr(image, "text") else {}
    except Exception:  # an unreadable file simply carries no parameters
        return None
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
