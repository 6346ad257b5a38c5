"""Paint one image: plan the scene from the prompt, lay down its layers, finish and encode."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from services.providers.procedural import figures, finish, land, sky
from services.providers.procedural.canvas import Canvas
from services.providers.procedural.palette import COLOUR_WORDS, TIMES, reference_colours, rgb, tinted
from services.providers.procedural.scene import plan, prompt_key

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def paint(
    prompt: str,
    *,
    seed: int,
    width: int,
    height: int,
    negative_prompt: str = "",
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """The image for a prompt and seed as an (height, width, 3) uint8 array; pure and deterministic."""
    key = prompt_key(prompt)
    scene = plan(prompt, negative_prompt, np.random.default_rng([seed, key, 0]))
    light = TIMES[scene.time]
    for colour in scene.tints[:2]:
        light = tinted(light, colour, 0.3)
    canvas = Canvas(width, height, scene, light, seed, key)
    if scene.has("abstract"):
        figures.abstract(canvas)
    elif scene.has("portrait"):
        figures.bokeh(canvas)
        figures.portrait(canvas)
    else:
        _landscape(canvas)
    finish.weather(canvas)
    finish.style(canvas)
    finish.tint(canvas)
    finish.ban_colours(canvas)
    if reference is not None:
        finish.reference(canvas, reference)
    finish.vignette_and_grain(canvas)
    return finish.to_uint8(canvas.image)


def _landscape(canvas: Canvas) -> None:
    scene = canvas.scene
    sky.gradient(canvas)
    if scene.has("stars"):
        sky.stars(canvas)
    if scene.has("nebula"):
        sky.nebula(canvas)
    sky.celestial(canvas)
    if scene.has("clouds"):
        sky.clouds(canvas)
    if scene.has("mountains"):
        land.mountains(canvas)
    if scene.has("city"):
        land.city(canvas)
    if scene.has("trees") and scene.has("water"):
        land.trees(canvas, framing=False)
    if scene.has("fog"):
        sky.fog(canvas)
    if scene.has("water"):
        land.water(canvas)
    elif scene.has("grid"):
        land.grid(canvas)
    elif scene.has("desert"):
        land.dunes(canvas)
    else:
        land.ground(canvas)
        land.hills(canvas, above_horizon=scene.has("hills") and not scene.has("mountains"))
        if scene.has("trees"):
            land.trees(canvas, framing=scene.has("forest"))


def encode(pixels: np.ndarray, output_format: str, *, quality: int = 90) -> bytes:
    """PNG (uncompressed: the image pipeline re-encodes anyway), JPEG or WebP bytes."""
    image = Image.fromarray(pixels, mode="RGB")
    buffer = io.BytesIO()
    if output_format == "png":
        # Stored, not compressed: the pipeline decodes and re-encodes it at once, so zlib here is wasted CPU.
        image.save(buffer, format="PNG", compress_level=0)
    elif output_format == "jpeg":
        image.save(buffer, format="JPEG", quality=quality)
    else:
        image.save(buffer, format="WEBP", quality=quality, method=2)
    return buffer.getvalue()


__all__ = ["COLOUR_WORDS", "CONTENT_TYPES", "encode", "paint", "reference_colours", "rgb"]
