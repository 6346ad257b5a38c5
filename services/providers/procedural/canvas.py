"""The shared drawing surface: pixel grids, the scene's colours and a random stream per layer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from services.providers.procedural.palette import Light
from services.providers.procedural.scene import Scene


@dataclass
class Canvas:
    width: int
    height: int
    scene: Scene
    light: Light
    seed: int
    prompt_key: int
    image: np.ndarray = field(init=False)  # (height, width, 3) float32 in [0, 1]
    x: np.ndarray = field(init=False)  # (1, width): 0..1 across
    y: np.ndarray = field(init=False)  # (height, 1): 0..1 down

    def __post_init__(self) -> None:
        self.image = np.zeros((self.height, self.width, 3), np.float32)
        self.x = np.linspace(0.0, 1.0, self.width, dtype=np.float32)[None, :]
        self.y = np.linspace(0.0, 1.0, self.height, dtype=np.float32)[:, None]

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def horizon_row(self) -> int:
        return int(self.scene.horizon * self.height)

    def rng(self, layer: str) -> np.random.Generator:
        """A random stream of its own per layer, so removing one layer leaves the others unchanged."""
        tag = int.from_bytes(hashlib.blake2b(layer.encode(), digest_size=8).digest(), "little")
        return np.random.default_rng([self.seed, self.prompt_key, tag])

    def blend(self, mask: np.ndarray, colour: np.ndarray | float, *, top: int = 0, left: int = 0) -> None:
        """Paint `colour` where `mask` in [0, 1] is set; `mask` covers the box starting at (top, left)."""
        m = mask[..., None] if mask.ndim == 2 else mask
        region = self.image[top : top + m.shape[0], left : left + m.shape[1]]
        # In place, one temporary: this runs a few dozen times per image.
        change = np.subtract(colour, region, dtype=np.float32)
        change *= m
        region += change

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Pixel row numbers `start..stop-1` as a float32 column, for layers painted in a band."""
        return np.arange(start, stop, dtype=np.float32)[:, None]
