"""Everything on the ground: ridges, hills, dunes, skylines, trees, water and the neon grid."""

from __future__ import annotations

import numpy as np

from services.providers.procedural.canvas import Canvas
from services.providers.procedural.noise import fbm, profile, smoothstep
from services.providers.procedural.palette import BIOMES, SEASONS, rgb
from services.providers.procedural.sky import sun_position


def land_colour(canvas: Canvas, depth: float, biome: str | None = None) -> np.ndarray:
    """A biome colour at `depth` (0 far, 1 near), lit by the time of day and hazed with distance."""
    name = biome or canvas.scene.biome
    stops = np.stack([rgb(c) for c in BIOMES[name]])
    if canvas.scene.season and name in ("meadow", "forest"):
        stops = stops * 0.2 + np.stack([rgb(c) for c in SEASONS[canvas.scene.season]]) * 0.8
    knots = np.linspace(0.0, 1.0, len(stops))
    base = np.array([np.interp(depth, knots, stops[:, c]) for c in range(3)], np.float32)
    lit = base * rgb(canvas.light.light)
    haze = rgb(canvas.light.sky[-1])
    return lit + (haze - lit) * (1.0 - depth) * 0.55


def _silhouette(rows: np.ndarray, top_rows: np.ndarray) -> np.ndarray:
    """Anti-aliased mask of everything below a per-column top edge given in pixel rows."""
    return np.clip(rows - top_rows[None, :] + 0.5, 0.0, 1.0)


def _band(canvas: Canvas, top_rows: np.ndarray, stop: int) -> tuple[int, int]:
    """The rows a layer can touch: from its highest point down to `stop`."""
    return max(0, int(top_rows.min()) - 1), min(canvas.height, stop)


def _faces(line: np.ndarray, below: np.ndarray, toward_sun: float, lean: float, strength: float) -> np.ndarray:
    """How much each pixel faces the sun: slopes run diagonally down and away from each crest."""
    w = line.shape[0]
    slope = np.gradient(line) * w * strength
    columns = np.arange(w)[None, :]
    shift = (below * lean).astype(np.int64)
    left = slope[np.clip(columns - shift, 0, w - 1)]
    right = slope[np.clip(columns + shift, 0, w - 1)]
    face = np.where(slope[None, :] >= 0, left, right)
    return 0.5 + 0.5 * np.tanh(face * toward_sun * 1.5)


def mountains(canvas: Canvas) -> None:
    """Three ranges, hazier with distance, lit from the sun's side, snow-capped when cold."""
    rng = canvas.rng("mountains")
    h, w = canvas.height, canvas.width
    sx, _ = sun_position(canvas)
    toward_sun = 1.0 if sx > 0.5 else -1.0
    snowy = canvas.scene.has("snow") or rng.random() < 0.4
    haze = rgb(canvas.light.sky[-1])
    for layer, (peak, depth) in enumerate(((0.34, 0.1), (0.22, 0.4), (0.12, 0.65))):
        line = profile(rng, w, cells=rng.uniform(2.0, 3.5) * (1 + layer * 0.5), octaves=7, gain=0.5)
        line = np.clip((line - 0.25) / 0.6, 0, 1) ** 1.25
        top = (canvas.scene.horizon - (0.03 + peak * line) * float(rng.uniform(0.85, 1.15))) * h
        r0, r1 = _band(canvas, top, canvas.horizon_row + 2)
        rows = canvas.rows(r0, r1)
        below = np.maximum(rows - top[None, :], 0.0)
        facing = _faces(line, below, toward_sun, 0.6, 0.06)
        texture = fbm(rng, w, r1 - r0, cells=(6 + layer * 4) * (r1 - r0) / w + 2, octaves=5, stretch=(0.7, 1.4))
        colour = land_colour(canvas, depth, "snow" if canvas.scene.biome == "snow" else "mountain")
        shade = (0.55 + 0.6 * facing) * (0.85 + 0.3 * texture)
        body = colour * shade[..., None]
        # Mist collects at the foot of each range.
        mist = smoothstep(0.0, 0.2, below / h) * (0.5 - layer * 0.12)
        body += (haze - body) * mist[..., None]
        if snowy:
            caps = smoothstep(0.0, 0.015, (0.02 + 0.07 * texture) * (0.2 + line[None, :]) - below / h)
            caps *= line[None, :] > 0.3
            snow = rgb("#f4f8ff") * rgb(canvas.light.light) * (0.6 + 0.45 * facing)[..., None]
            body += (snow - body) * caps[..., None]
        canvas.blend(_silhouette(rows, top), body, top=r0)


def hills(canvas: Canvas, *, above_horizon: bool = True) -> None:
    """Rolling hills from the horizon to the bottom edge, nearer ones darker and richer."""
    rng = canvas.rng("hills")
    h = canvas.height
    layers = ((0.0, 0.45), (0.09, 0.7), (0.2, 0.95)) if above_horizon else ((0.03, 0.55), (0.15, 0.85))
    for offset, depth in layers:
        line = profile(rng, canvas.width, cells=rng.uniform(1.2, 2.2), octaves=4, smooth=True)
        lift = 0.07 if above_horizon else 0.03
        top = (canvas.scene.horizon + offset - lift * line) * h
        r0, r1 = _band(canvas, top, h)
        rows = canvas.rows(r0, r1)
        texture = fbm(rng, canvas.width, r1 - r0, cells=6, octaves=4, stretch=(1.6, 1.0))
        below = np.clip((rows - top[None, :]) / h, 0, 1)
        # Light on the crest, darker toward the base of each hill.
        shade = (1.05 - below * 0.9) * (0.88 + 0.24 * texture)
        canvas.blend(_silhouette(rows, top), land_colour(canvas, depth) * shade[..., None], top=r0)


def ground(canvas: Canvas) -> None:
    """A flat floor below the horizon so nothing is left showing sky underneath."""
    canvas.image[canvas.horizon_row :] = land_colour(canvas, 0.8)


def dunes(canvas: Canvas) -> None:
    """Sand dunes with sharp crests: a lit windward side and a shadowed lee."""
    rng = canvas.rng("dunes")
    h = canvas.height
    sx, _ = sun_position(canvas)
    toward_sun = 1.0 if sx > 0.5 else -1.0
    for offset, depth in ((0.0, 0.2), (0.07, 0.45), (0.16, 0.7), (0.28, 0.95)):
        smooth = profile(rng, canvas.width, cells=rng.uniform(1.5, 3.0), octaves=3, smooth=True)
        line = 1.0 - np.abs(smooth * 2.0 - 1.0)  # ridged: a crest where the noise crosses 0.5
        top = (canvas.scene.horizon + offset - 0.08 * line) * h
        r0, r1 = _band(canvas, top, h)
        rows = canvas.rows(r0, r1)
        below = np.maximum(rows - top[None, :], 0.0)
        lit = _faces(line, below, toward_sun, 1.2, 0.05)
        ripples = 0.96 + 0.04 * np.sin(rows * (0.9 - depth * 0.5) + 6.0 * line[None, :])
        shade = (0.5 + 0.6 * lit) * ripples * (1.0 - 0.25 * np.clip(below / h * 3, 0, 1))
        canvas.blend(_silhouette(rows, top), land_colour(canvas, depth, "desert") * shade[..., None], top=r0)


def city(canvas: Canvas) -> None:
    """Two rows of buildings on the horizon with scattered lit windows."""
    rng = canvas.rng("city")
    h, w = canvas.height, canvas.width
    night = canvas.scene.time in ("night", "neon", "sunset", "storm")
    window_colours = (
        [rgb("#ffd98a"), rgb("#ff4fd8"), rgb("#4fe3ff")] if canvas.scene.time == "neon" else [rgb("#ffd98a")]
    )
    for depth, tallest in ((0.3, 0.32), (0.75, 0.22)):
        tops = np.full(w, canvas.scene.horizon, np.float32)
        x = 0
        while x < w:
            span = int(w * rng.uniform(0.025, 0.075))
            tops[x : x + span] = canvas.scene.horizon - tallest * rng.uniform(0.2, 1.0) ** 1.5
            x += span + int(rng.integers(0, max(2, w // 200)))  # sometimes a sliver of sky between
        top_rows = tops * h
        r0, r1 = _band(canvas, top_rows, canvas.horizon_row + 1)
        rows = canvas.rows(r0, r1)
        mask = _silhouette(rows, top_rows)
        canvas.blend(mask, land_colour(canvas, depth, "city") * (0.75 + 0.25 * depth), top=r0)
        cell = max(3, w // 110)
        row_numbers = np.arange(r0, r1)
        cols = np.arange(w) // cell
        floors = row_numbers // (cell * 2)
        table = rng.random((floors.max() + 1, cols.max() + 1)) < (0.35 if night else 0.08)
        lit = table[floors[:, None], cols[None, :]]
        inside = ((np.arange(w) % cell) < cell - 1)[None, :] & ((row_numbers % (cell * 2)) < cell)[:, None]
        windows = lit & inside & ((rows - top_rows[None, :]) > cell) & (mask > 0.99)
        colour = window_colours[int(rng.integers(0, len(window_colours)))]
        canvas.blend(windows.astype(np.float32) * (0.9 if night else 0.35) * depth, colour, top=r0)


def trees(canvas: Canvas, *, framing: bool) -> None:
    """A treeline of tiered conifers on the horizon, and big framing trees in front for forests."""
    rng = canvas.rng("trees")
    h, w = canvas.height, canvas.width
    horizon = canvas.horizon_row
    colour_far = land_colour(canvas, 0.55, "forest") * 0.8
    _treeline(canvas, rng, base=horizon + 2, height=(0.04, 0.09), count=int(w / max(4, w // 90)), colour=colour_far)
    if framing:
        near = land_colour(canvas, 1.0, "forest") * 0.55
        for side in (0, 1):
            count = int(rng.integers(2, 4))
            xs = (rng.uniform(-0.02, 0.16, count) if side == 0 else rng.uniform(0.84, 1.02, count)) * w
            for cx in xs:
                tall = rng.uniform(0.45, 0.8) * h
                _conifer(canvas, cx, h + 2.0, tall, tall * rng.uniform(0.2, 0.26), near)


def _treeline(
    canvas: Canvas, rng: np.random.Generator, *, base: int, height: tuple[float, float], count: int, colour: np.ndarray
) -> None:
    for cx in np.sort(rng.uniform(0, canvas.width, count)):
        tall = rng.uniform(*height) * canvas.height
        _conifer(canvas, float(cx), base + rng.uniform(-2, 3), tall, tall * rng.uniform(0.18, 0.28), colour)


def _conifer(canvas: Canvas, cx: float, base: float, tall: float, half: float, colour: np.ndarray) -> None:
    """One fir tree: stacked tiers whose edges zig-zag outwards, painted in a small box."""
    x0, x1 = max(0, int(cx - half - 1)), min(canvas.width, int(cx + half + 2))
    y0, y1 = max(0, int(base - tall)), min(canvas.height, int(base) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    t = (ys - (base - tall)) / tall  # 0 at the tip, 1 at the foot
    tiers = 0.72 + 0.28 * ((t * 6.0) % 1.0)
    width = half * t * tiers
    mask = np.clip(width - np.abs(xs - cx) + 0.5, 0.0, 1.0)
    region = canvas.image[y0:y1, x0:x1]
    region += (colour - region) * mask[..., None]


def water(canvas: Canvas) -> None:
    """Mirror everything above the horizon into rippled, darker water with a glittering sun path."""
    rng = canvas.rng("water")
    h, w = canvas.height, canvas.width
    horizon = canvas.horizon_row
    depth_rows = h - horizon
    if depth_rows <= 0:
        return
    rows = np.arange(horizon, h)
    d = ((rows - horizon) / max(depth_rows, 1)).astype(np.float32)[:, None]  # 0 at the horizon
    waves = fbm(rng, w, depth_rows, cells=3, octaves=5, stretch=(6.0, 0.6))
    offset = ((waves - 0.5) * (2 + 26 * d) * w / 512).astype(np.int64)
    source_rows = np.clip(2 * horizon - rows - 1, 0, h - 1)[:, None]
    source_cols = np.clip(np.arange(w)[None, :] + offset, 0, w - 1)
    reflected = canvas.image[source_rows, source_cols]
    water_colour = rgb(canvas.light.water)
    mixed = reflected * (0.72 - 0.25 * d)[..., None] + water_colour * (0.28 + 0.25 * d)[..., None]
    streaks = smoothstep(0.55, 0.85, waves)
    mixed += rgb(canvas.light.sky[-1]) * (streaks * 0.12 * (1 - d))[..., None]
    if canvas.scene.has("sun") or canvas.scene.has("moon"):
        sx, _ = sun_position(canvas)
        path = np.exp(-(((canvas.x - sx) * canvas.aspect) ** 2) / (0.0015 + 0.03 * d * d))
        sparkle = smoothstep(0.5, 0.8, waves) * path * (1.0 - d * 0.6)
        mixed += rgb(canvas.light.sun) * (sparkle * 0.85)[..., None]
    # A thin bright line where the water meets the sky reads as distance.
    mixed += rgb(canvas.light.sky[-1]) * (np.exp(-d * depth_rows / 1.5) * 0.25)[..., None]
    canvas.image[horizon:] = mixed


def grid(canvas: Canvas) -> None:
    """The synthwave floor: a glowing perspective grid running to the horizon."""
    h = canvas.height
    horizon = canvas.scene.horizon
    y = canvas.y[canvas.horizon_row :] - horizon + 1e-3
    floor = rgb("#12031f") * (1 - y / (1 - horizon))[..., None] + rgb("#2a0838") * (y / (1 - horizon))[..., None]
    z = 0.08 / y
    across = np.abs(((z * 3.0) % 1.0) - 0.5)
    along = np.abs(((canvas.x - 0.5) / y * 0.25 % 0.1) / 0.1 - 0.5)
    thickness = 0.03 + 1.5 / h / np.maximum(y, 1e-3) * 0.02
    lines = np.maximum(smoothstep(0.5 - thickness, 0.5, across), smoothstep(0.45, 0.5, along)) * np.clip(y * 8, 0, 1)
    glow = rgb("#ff3fd0") * (1 - y / (1 - horizon))[..., None] + rgb("#3fe8ff") * (y / (1 - horizon))[..., None]
    canvas.image[canvas.horizon_row :] = floor + (glow - floor) * lines[..., None]
