"""The sky: gradient, glow, sun or moon, stars, nebulae and clouds."""

from __future__ import annotations

import numpy as np

from services.providers.procedural.canvas import Canvas
from services.providers.procedural.noise import fbm, smoothstep, upsample
from services.providers.procedural.palette import rgb


def sun_position(canvas: Canvas) -> tuple[float, float]:
    """Where the sun (or moon) sits, in 0..1 image coordinates."""
    scene = canvas.scene
    return scene.sun_x, scene.horizon - scene.sun_height


def gradient(canvas: Canvas) -> None:
    """Zenith-to-horizon gradient, continued below the horizon, with a warm glow around the sun."""
    stops = np.stack([rgb(c) for c in canvas.light.sky])
    t = np.clip(canvas.y[:, 0] / canvas.scene.horizon, 0.0, 1.0) ** 1.35
    knots = np.linspace(0.0, 1.0, len(stops), dtype=np.float32)
    column = np.stack([np.interp(t, knots, stops[:, c]) for c in range(3)], axis=1).astype(np.float32)
    canvas.image[:] = column[:, None, :]
    if canvas.scene.has("sun") or canvas.scene.time in ("sunset", "dawn", "neon"):
        sx, sy = sun_position(canvas)
        # The glow is smooth: compute it at an eighth of the size and let Pillow enlarge it.
        small_w, small_h = max(2, canvas.width // 8), max(2, canvas.height // 8)
        dx = (np.linspace(0, 1, small_w, dtype=np.float32)[None, :] - sx) * canvas.aspect
        dy = np.linspace(0, 1, small_h, dtype=np.float32)[:, None] - sy
        # Wide, flattened glow: sunsets light a band of sky along the horizon.
        glow = np.exp(-(dx * dx * 0.6 + dy * dy * 4.0) / 0.09) * canvas.light.glow_strength
        canvas.blend(upsample(glow, canvas.width, canvas.height), rgb(canvas.light.glow))


def stars(canvas: Canvas) -> None:
    """Sparse stars of varied brightness, fading toward the horizon; a few large ones."""
    rng = canvas.rng("stars")
    h, w = canvas.height, canvas.width
    count = int(w * h / 900)
    ys = (rng.random(count) ** 1.4 * canvas.scene.horizon * h).astype(np.int64)
    xs = rng.integers(0, w, count)
    brightness = (rng.random(count, dtype=np.float32) ** 3) * 0.9 + 0.1
    fade = 1.0 - smoothstep(0.5, 1.0, ys / max(canvas.horizon_row, 1)).astype(np.float32)
    tint = np.where(rng.random(count)[:, None] < 0.3, rgb("#cfdcff"), rgb("#fff3dc"))
    value = (brightness * fade)[:, None] * tint
    np.maximum.at(canvas.image, (ys, xs), value)
    big = brightness > 0.75
    for oy, ox in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        np.maximum.at(
            canvas.image, (np.clip(ys[big] + oy, 0, h - 1), np.clip(xs[big] + ox, 0, w - 1)), value[big] * 0.45
        )


def nebula(canvas: Canvas) -> None:
    """Coloured gas along a diagonal band, like the Milky Way."""
    rng = canvas.rng("nebula")
    n = fbm(rng, canvas.width, canvas.height, cells=2.5, octaves=6)
    detail = fbm(rng, canvas.width, canvas.height, cells=6, octaves=4)
    angle = rng.uniform(-0.6, 0.6)
    band = np.exp(-(((canvas.y - 0.35) - (canvas.x - 0.5) * angle) ** 2) / 0.03)
    density = smoothstep(0.35, 0.9, n * 0.7 + detail * 0.3 + band * 0.35) * (0.4 + band * 0.6)
    first = canvas.scene.tints[0] if canvas.scene.tints else rgb(str(rng.choice(["#8a3ad0", "#2a6cf0", "#e32f8a"])))
    second = rgb("#ff8ad8") if first[2] > first[0] else rgb("#5ad0ff")
    colour = first[None, None, :] * (1 - detail[..., None]) + second * detail[..., None]
    canvas.image += colour * (density * 0.7)[..., None]


def celestial(canvas: Canvas) -> None:
    """The sun (soft disc with a halo) or the moon (a cratered disc)."""
    scene = canvas.scene
    sx, sy = sun_position(canvas)
    is_moon = scene.time == "night" and scene.has("moon")
    if not (scene.has("sun") and scene.time != "night") and not is_moon:
        return
    radius = 0.045 if is_moon else (0.075 if scene.time in ("sunset", "dawn", "neon") else 0.05)
    # Everything happens within a few radii of the centre: paint only that box.
    reach = radius * 5
    r0, r1 = max(0, int((sy - reach) * canvas.height)), min(canvas.height, int((sy + reach) * canvas.height) + 1)
    c0 = max(0, int((sx - reach / canvas.aspect) * canvas.width))
    c1 = min(canvas.width, int((sx + reach / canvas.aspect) * canvas.width) + 1)
    if r0 >= r1 or c0 >= c1:
        return
    y, x = canvas.y[r0:r1], canvas.x[:, c0:c1]
    dist = np.sqrt(((x - sx) * canvas.aspect) ** 2 + (y - sy) ** 2)
    edge = 1.5 / canvas.height
    disc = 1.0 - smoothstep(radius - edge, radius + edge, dist)
    if is_moon:
        craters = fbm(canvas.rng("moon"), c1 - c0, r1 - r0, cells=8, octaves=3)
        colour = rgb(canvas.light.sun) * (0.8 + 0.2 * craters[..., None])
        canvas.blend(np.exp(-dist / 0.06) * 0.35, rgb("#9fb6e8"), top=r0, left=c0)
        canvas.blend(disc, colour, top=r0, left=c0)
        return
    canvas.blend(np.exp(-dist / (radius * 1.6)) * 0.55, rgb(canvas.light.sun), top=r0, left=c0)
    if scene.has("grid"):
        # The synthwave sun: a hot gradient cut by widening horizontal gaps.
        t = np.clip((y - (sy - radius)) / (2 * radius), 0, 1) * np.ones_like(x)
        colour = rgb("#ffe36e") * (1 - t[..., None]) + rgb("#ff2f8f") * t[..., None]
        stripes = np.sin((y - sy) / radius * 9.0) > (t * 2.2 - 1.3)
        canvas.blend(disc * stripes, colour, top=r0, left=c0)
        return
    canvas.blend(disc, rgb(canvas.light.sun), top=r0, left=c0)


def clouds(canvas: Canvas) -> None:
    """Layered fractal clouds, lit on the side facing the sun, denser toward the horizon."""
    rng = canvas.rng("clouds")
    scene = canvas.scene
    w, h = canvas.width, canvas.horizon_row
    if h < 8:
        return
    y = canvas.y[:h]
    shape = fbm(rng, w, h, cells=2.2, octaves=6, stretch=(2.4, 1.0))
    cover = 0.72 if scene.time == "storm" else rng.uniform(0.5, 0.6)
    density = smoothstep(cover - 0.05, cover + 0.25, shape)
    height = smoothstep(0.0, 0.25, y) * (1.0 - smoothstep(scene.horizon - 0.12, scene.horizon, y))
    density *= height * (1.0 if scene.time == "storm" else 0.85)
    # Light comes from the sun: a shifted copy of the shape says which side is in shadow.
    sx, _ = sun_position(canvas)
    shift_x = int(np.sign(sx - 0.5) * max(2, w // 120))
    # Shift with the edges repeated (np.roll would wrap the right edge onto the left).
    dy, dx = max(2, h // 120), shift_x
    padded = np.pad(shape, ((dy, 0), (max(dx, 0), max(-dx, 0))), mode="edge")
    shadowed = padded[:h, max(-dx, 0) : max(-dx, 0) + w] if dx < 0 else padded[:h, :w]
    lit = np.clip(0.5 + (shape - shadowed) * 4.0, 0.0, 1.0)
    colour = rgb(canvas.light.cloud_shade) * (1 - lit[..., None]) + rgb(canvas.light.cloud_lit) * lit[..., None]
    canvas.blend(density * 0.9, colour)


def fog(canvas: Canvas) -> None:
    """A bank of mist lying on the horizon."""
    mist = fbm(canvas.rng("fog"), canvas.width, canvas.height, cells=2, octaves=4, stretch=(3.0, 1.0))
    band = np.exp(-((canvas.y - canvas.scene.horizon) ** 2) / 0.012)
    canvas.blend(band * (0.35 + 0.4 * mist), rgb(canvas.light.sky[-1]))
