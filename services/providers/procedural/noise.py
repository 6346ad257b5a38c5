"""Smooth noise made at low resolution and upsampled: fast, seamless enough, deterministic."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Detail finer than this many cells across is invisible after upsampling, so never compute it.
_WORK_SIDE = 192


def upsample(field: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bicubic-resize a 2-D float32 field to (height, width)."""
    return np.asarray(
        Image.fromarray(field.astype(np.float32, copy=False), mode="F").resize(
            (width, height), Image.Resampling.BICUBIC
        ),
        dtype=np.float32,
    )


def fbm(
    rng: np.random.Generator,
    width: int,
    height: int,
    *,
    cells: float = 3.0,
    octaves: int = 5,
    gain: float = 0.5,
    stretch: tuple[float, float] = (1.0, 1.0),
) -> np.ndarray:
    """Fractal value noise in about [0, 1]; `cells` is the coarsest octave's cells across the
    longer side, `stretch` (x, y) elongates features (streaky water, long clouds)."""
    longest = max(width, height)
    work_w = max(4, round(_WORK_SIDE * width / longest))
    work_h = max(4, round(_WORK_SIDE * height / longest))
    total = np.zeros((work_h, work_w), np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        n = cells * 2**octave
        grid_w = max(2, int(n * width / longest / stretch[0]) + 2)
        grid_h = max(2, int(n * height / longest / stretch[1]) + 2)
        if grid_w > work_w * 2 or grid_h > work_h * 2:
            break
        grid = rng.random((grid_h, grid_w), dtype=np.float32)
        total += amplitude * upsample(grid, work_w, work_h)
        norm += amplitude
        amplitude *= gain
    field = total / max(norm, 1e-6)
    # Value noise bunches around 0.5: stretch it so thresholds behave predictably.
    field = np.clip((field - 0.5) * 1.8 + 0.5, 0.0, 1.0)
    return upsample(field, width, height)


def profile(
    rng: np.random.Generator,
    width: int,
    *,
    cells: float = 4.0,
    octaves: int = 5,
    gain: float = 0.5,
    smooth: bool = False,
) -> np.ndarray:
    """A 1-D fractal line of `width` samples in about [0, 1] (ridges, dunes, skylines)."""
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)
    total = np.zeros(width, np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        n = int(cells * 2**octave) + 2
        points = rng.random(n, dtype=np.float32)
        knots = np.linspace(0.0, 1.0, n, dtype=np.float32)
        line = upsample(points[None, :], width, 1)[0] if smooth else np.interp(x, knots, points).astype(np.float32)
        total += amplitude * line
        norm += amplitude
        amplitude *= gain
    return total / norm


def smoothstep(edge0: float | np.ndarray, edge1: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    """Hermite ramp from 0 at `edge0` to 1 at `edge1`."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
