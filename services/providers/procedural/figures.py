"""Subjects that are not landscapes: a lit head-and-shoulders portrait and abstract flow fields."""

from __future__ import annotations

import numpy as np

from services.providers.procedural.canvas import Canvas
from services.providers.procedural.noise import fbm, smoothstep
from services.providers.procedural.palette import rgb


def _palette(canvas: Canvas, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Colour-word tints first, then colours from the light of the scene, then seeded ones."""
    colours = list(canvas.scene.tints)
    colours += [rgb(c) for c in (canvas.light.glow, canvas.light.sky[-2], canvas.light.sky[1])]
    extra = ["#ff5e8a", "#4fb3ff", "#ffc24f", "#7b4fff", "#2fd0a0", "#ff7a3a"]
    rng.shuffle(extra)
    colours += [rgb(c) for c in extra]
    return colours[:count]


def bokeh(canvas: Canvas) -> None:
    """A soft studio backdrop: a gradient and out-of-focus discs of light."""
    rng = canvas.rng("bokeh")
    colours = _palette(canvas, rng, 4)
    t = canvas.y + 0.25 * canvas.x
    canvas.image[:] = colours[1] * 0.35 * (1 - t[..., None]) + colours[2] * 0.25 * t[..., None]
    for _ in range(int(rng.integers(10, 18))):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 0.8), rng.uniform(0.03, 0.1)
        # Paint each disc inside its own bounding box only.
        r0, r1 = max(0, int((cy - r) * canvas.height)), min(canvas.height, int((cy + r) * canvas.height) + 2)
        c0 = max(0, int((cx - r / canvas.aspect) * canvas.width))
        c1 = min(canvas.width, int((cx + r / canvas.aspect) * canvas.width) + 2)
        if r0 >= r1 or c0 >= c1:
            continue
        dist = np.sqrt(((canvas.x[:, c0:c1] - cx) * canvas.aspect) ** 2 + (canvas.y[r0:r1] - cy) ** 2)
        disc = (1 - smoothstep(r * 0.85, r, dist)) * rng.uniform(0.12, 0.35)
        canvas.image[r0:r1, c0:c1] += colours[int(rng.integers(0, 4))] * disc[..., None]


def portrait(canvas: Canvas) -> None:
    """Head, neck and shoulders shaded as solids, lit from one side with a coloured rim light."""
    rng = canvas.rng("portrait")
    colours = _palette(canvas, rng, 4)
    skin = rgb(str(rng.choice(["#f1c7a8", "#d9a07a", "#a86b48", "#7a4a32", "#e8b894"])))
    hair = rgb(str(rng.choice(["#2a1a12", "#5a3520", "#c89a5a", "#1a1a22", "#8a3a22"])))
    cloth = colours[0] * 0.6
    rim = colours[1] * 0.6 + 0.4
    light_dir = np.array([rng.choice([-0.6, 0.6]), -0.45, 0.66], np.float32)
    x = (canvas.x - 0.5) * canvas.aspect
    y = canvas.y
    # Shoulders: a wide superellipse rising from the bottom edge.
    sx, sy = x / 0.46, (y - 1.02) / 0.35
    shoulders = 1 - smoothstep(0.95, 1.0, np.abs(sx) ** 2.6 + np.abs(sy) ** 2.2)
    neck = (1 - smoothstep(0.058, 0.066, np.abs(x))) * smoothstep(0.5, 0.55, y) * (y < 0.85)
    hx, hy = x / 0.165, (y - 0.4) / 0.215
    r2 = hx * hx + hy * hy
    head = 1 - smoothstep(0.94, 1.0, r2)
    nz = np.sqrt(np.clip(1 - r2, 0, 1))
    lambert = np.clip(hx * light_dir[0] + hy * light_dir[1] + nz * light_dir[2], 0, 1)
    face = skin * (0.35 + 0.75 * lambert)[..., None]
    edge = smoothstep(0.55, 1.0, r2) * np.clip(-hx * np.sign(light_dir[0]), 0, 1)
    face += rim * (edge * 0.5)[..., None]
    body_shade = 0.55 + 0.35 * np.clip(-sx * np.sign(light_dir[0]) * 0.5 + 0.5, 0, 1)
    neck_shade = skin * 0.55 * (0.8 + 0.2 * np.clip(x * np.sign(light_dir[0]) * 10, -1, 1))[..., None]
    canvas.blend(neck, neck_shade)
    canvas.blend(shoulders, cloth * body_shade[..., None])
    strands = fbm(rng, canvas.width, canvas.height, cells=4, octaves=5, stretch=(0.35, 3.0))
    hair_colour = hair * (0.6 + 0.8 * strands)[..., None]
    # Long hair falls behind the neck and over the shoulders.
    long_hair = (1 - smoothstep(0.9, 1.0, (x / 0.215) ** 2 + ((y - 0.5) / 0.3) ** 2)) * (1 - smoothstep(0.66, 0.8, y))
    if rng.random() < 0.6:
        canvas.blend(long_hair, hair_colour * 0.85)
    canvas.blend(head, face)
    # Hair: a cap over the top and back of the head with strands from fractal noise.
    hairline = hy + 0.35 + 0.25 * np.cos(hx * 2.2) - 0.2 * strands
    cap = (1 - smoothstep(1.0, 1.12, r2)) * (1 - smoothstep(-0.05, 0.05, hairline))
    canvas.blend(cap, hair_colour + rim * (smoothstep(0.8, 1.1, r2) * 0.25)[..., None])
    # Closed-eye lines and a hint of a smile keep it a portrait rather than a silhouette.
    for side in (-1, 1):
        ex = np.abs(x - side * 0.058)
        eye = (1 - smoothstep(0.0, 0.004, np.abs(y - 0.43 - 4.0 * ex * ex))) * (ex < 0.024)
        canvas.blend(eye * 0.8, skin * 0.25)
    for side in (-1, 1):
        cheek = np.exp(-((x - side * 0.085) ** 2 + (y - 0.49) ** 2) / 0.0012) * head * 0.25
        canvas.blend(cheek, rgb("#ff8a8a"))
    mouth = (1 - smoothstep(0.0, 0.004, np.abs(y - 0.53 + 2.5 * x * x))) * (np.abs(x) < 0.032)
    canvas.blend(mouth * 0.6, skin * 0.45 * rgb("#ff9090"))


def abstract(canvas: Canvas) -> None:
    """Flowing bands: warped sine fields coloured through a palette of the prompt's colours."""
    rng = canvas.rng("abstract")
    colours = _palette(canvas, rng, 4)
    w, h = canvas.width, canvas.height
    warp_a = fbm(rng, w, h, cells=1.6, octaves=4)
    warp_b = fbm(rng, w, h, cells=2.4, octaves=4)
    x = canvas.x * canvas.aspect
    y = canvas.y
    f1, f2 = rng.uniform(3, 6, 2)
    v = np.sin(x * f1 + 4.0 * warp_a + np.sin(y * f2 + 3.0 * warp_b))
    v = v + 0.6 * np.sin(y * f2 * 1.7 - 5.0 * warp_b + 2.0 * warp_a)
    t = (v / 1.6 * 0.5 + 0.5) % 1.0
    knots = np.array([0.0, 0.33, 0.66, 1.0], np.float32)
    stops = np.stack([colours[0], colours[1], colours[2], colours[0]])
    flat = t.ravel()
    image = np.stack([np.interp(flat, knots, stops[:, c]) for c in range(3)], axis=1).astype(np.float32)
    canvas.image[:] = image.reshape(h, w, 3)
    # Thin bright seams where bands meet give the marbled look.
    seams = smoothstep(0.44, 0.5, np.abs(((t * 3.0) % 1.0) - 0.5))
    canvas.blend(seams * 0.35, colours[3] * 0.5 + 0.5)
    canvas.image *= (0.85 + 0.3 * warp_a)[..., None]
