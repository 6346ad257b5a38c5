"""The last touches: colour words, styles, a reference image's palette, vignette and grain."""

from __future__ import annotations

import numpy as np
from PIL import Image

from services.providers.procedural.canvas import Canvas
from services.providers.procedural.noise import smoothstep
from services.providers.procedural.palette import rgb

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def luma(image: np.ndarray) -> np.ndarray:
    return image @ _LUMA


def tint(canvas: Canvas) -> None:
    """Colour words wash the whole image in their colour, keeping its light and shade."""
    tints = canvas.scene.tints
    if not tints:
        return
    colour = np.mean(np.stack(tints), axis=0)
    y = luma(canvas.image)[..., None]
    washed = y * colour * 1.9
    canvas.image += (washed - canvas.image) * 0.4


def ban_colours(canvas: Canvas) -> None:
    """Negative-prompt colours: pixels close to a banned hue lose their colour."""
    for banned in canvas.scene.banned_colours:
        y = luma(canvas.image)[..., None]
        chroma = canvas.image - y
        target = banned - float(banned @ _LUMA)
        norm = float(np.linalg.norm(target)) or 1.0
        alignment = np.clip((chroma @ (target / norm)) / (np.linalg.norm(chroma, axis=2) + 1e-4), 0, 1)
        canvas.image -= chroma * smoothstep(0.55, 0.9, alignment)[..., None]


def reference(canvas: Canvas, colours: np.ndarray) -> None:
    """Pull the image toward a reference image's dominant colours (a soft colour transfer)."""
    weights = np.array([0.55, 0.25, 0.12, 0.08], np.float32)[: len(colours)]
    target_mean = (colours * weights[:, None]).sum(axis=0) / weights.sum()
    mean = canvas.image.reshape(-1, 3).mean(axis=0)
    shifted = canvas.image + (target_mean - mean) * 0.8
    # Map brightness onto the reference colours so shadows and lights both take its hues.
    y = np.clip(luma(canvas.image), 0, 1)
    order = np.argsort(colours @ _LUMA)
    ramp = colours[order]
    knots = np.linspace(0.0, 1.0, len(ramp), dtype=np.float32)
    mapped = np.stack([np.interp(y.ravel(), knots, ramp[:, c]) for c in range(3)], axis=1).reshape(canvas.image.shape)
    canvas.image = shifted * 0.5 + mapped.astype(np.float32) * 0.5


def weather(canvas: Canvas) -> None:
    """Weather over the whole picture: mist veils it toward the horizon's colour, snow falls in flakes."""
    scene = canvas.scene
    if scene.has("fog"):
        # Thickest on the horizon, thinner overhead and in the foreground.
        veil = (0.15 + 0.35 * np.exp(-((canvas.y - scene.horizon) ** 2) / 0.05)) * np.ones_like(canvas.x)
        canvas.blend(veil, rgb(canvas.light.sky[-1]) * 0.5 + 0.5 * rgb("#e8ecf0"))
    if scene.has("snowfall"):
        rng = canvas.rng("snowfall")
        count = int(canvas.width * canvas.height / 260)
        ys = rng.integers(0, canvas.height, count)
        xs = rng.integers(0, canvas.width, count)
        flake = (0.75 + 0.25 * rng.random(count, dtype=np.float32))[:, None] * rgb("#f8fbff")
        np.maximum.at(canvas.image, (ys, xs), flake)
        np.maximum.at(canvas.image, (ys, np.clip(xs + 1, 0, canvas.width - 1)), flake * 0.8)


def _watercolour(canvas: Canvas, image: np.ndarray) -> np.ndarray:
    """Soft washes on paper: blurred shapes, lifted toward white, pigment pooling on a paper grain."""
    small = Image.fromarray(to_uint8(image)).resize(
        (max(2, canvas.width // 6), max(2, canvas.height // 6)), Image.Resampling.BOX
    )
    soft = np.asarray(small.resize((canvas.width, canvas.height), Image.Resampling.BICUBIC), np.float32) / 255.0
    y = luma(soft)[..., None]
    washed = y + (soft - y) * 0.8
    paper = 1.0 + (canvas.rng("paper").random((canvas.height, canvas.width), dtype=np.float32)[..., None] - 0.5) * 0.04
    return (washed * 0.7 + rgb("#fbf7ee") * 0.3) * paper


def style(canvas: Canvas) -> None:
    """Style words: anime cel shading, neon glow, watercolour, pastel, monochrome, sepia, dark, bright,
    warm, cool and muted palettes."""
    scene = canvas.scene
    image = canvas.image
    if scene.has("watercolour"):
        image = _watercolour(canvas, image)
    if scene.has("neon"):
        y = luma(image)[..., None]
        image = y + (image - y) * 1.35
        # Bloom: the bright parts, blurred by shrinking and re-growing them as an 8-bit image.
        bright = Image.fromarray(to_uint8(np.clip(image - 0.55, 0, 1) * 2.0))
        small = bright.resize((max(2, canvas.width // 16), max(2, canvas.height // 16)), Image.Resampling.BOX)
        bloom = np.asarray(small.resize((canvas.width, canvas.height), Image.Resampling.BILINEAR), np.float32)
        image = image + bloom * (0.4 / 255.0)
    if scene.has("anime"):
        y = luma(image)[..., None]
        image = y + (image - y) * 1.25
        levels = 6.0
        image = np.floor(np.clip(image, 0, 1) * levels + 0.5) / levels * 0.85 + image * 0.15
        edges = np.abs(np.diff(luma(image), axis=0, prepend=0)) + np.abs(np.diff(luma(image), axis=1, prepend=0))
        image = image * (1 - smoothstep(0.12, 0.3, edges) * 0.6)[..., None]
    if scene.has("pastel"):
        image = image * 0.55 + 0.45
    if scene.has("mono"):
        image = np.repeat(luma(image)[..., None], 3, axis=2)
    if scene.has("sepia"):
        image = luma(image)[..., None] * rgb("#ffd9a0") * 1.05 + 0.04
    if scene.has("dark"):
        image = image**1.5 * 0.8
    if scene.has("bright"):
        y = luma(image)[..., None]
        image = (y + (image - y) * 1.3) ** 0.85
    if scene.has("warm"):
        image = image * rgb("#ffd8b0") * 1.12
    if scene.has("cool"):
        image = image * rgb("#c4dcff") * 1.1
    if scene.has("muted"):
        y = luma(image)[..., None]
        image = y + (image - y) * 0.45
    canvas.image = image


def vignette_and_grain(canvas: Canvas) -> None:
    """Darken the corners a little and add film grain so flat areas do not band."""
    rng = canvas.rng("grain")
    gain = np.ones((canvas.height, canvas.width), np.float32)
    if "vignette" not in canvas.scene.removed:
        r2 = ((canvas.x - 0.5) * 1.2) ** 2 + (canvas.y - 0.5) ** 2
        gain *= 1.0 - 0.35 * smoothstep(0.15, 0.55, r2)
    if "grain" not in canvas.scene.removed:
        # Multiplicative grain: one pass over the pixels instead of two.
        gain *= 1.0 + (rng.random((canvas.height, canvas.width), dtype=np.float32) - 0.5) * 0.07
    canvas.image *= gain[..., None]


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
