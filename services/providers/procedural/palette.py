"""Colours: times of day, biomes, colour words, and the dominant colours of a reference image."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image


def rgb(hex_colour: str) -> np.ndarray:
    """'#rrggbb' as a float32 array in [0, 1]."""
    value = hex_colour.lstrip("#")
    return np.array([int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4)], np.float32)


@dataclass(frozen=True)
class Light:
    """The sky and light of one time of day."""

    sky: tuple[str, ...]  # gradient stops, zenith to horizon
    sun: str
    glow: str
    cloud_lit: str
    cloud_shade: str
    light: str  # multiplies land colours
    water: str
    glow_strength: float = 0.6


TIMES: dict[str, Light] = {
    "day": Light(
        ("#2a66c9", "#5b97e0", "#a9cdf2", "#dcebf7"),
        "#fffbea",
        "#fff4d6",
        "#ffffff",
        "#9fb0c8",
        "#f2f0e8",
        "#1d4f7a",
        0.25,
    ),
    "sunset": Light(
        ("#1b1642", "#4a2a6b", "#b8466a", "#f08a4b", "#ffd27a"),
        "#fff2c4",
        "#ffb25c",
        "#ffc58a",
        "#5b3357",
        "#d98a64",
        "#20183a",
        0.9,
    ),
    "dawn": Light(
        ("#24335e", "#5a5d94", "#d88aa0", "#f7c6a3", "#fde7c4"),
        "#fff6dc",
        "#ffd0a8",
        "#ffe3d0",
        "#7c6b8f",
        "#e8c2b4",
        "#2a3357",
        0.7,
    ),
    "night": Light(
        ("#02040c", "#07102a", "#132550", "#1f3a6b"),
        "#f4f1e4",
        "#8fa8d8",
        "#3b4d75",
        "#0b1226",
        "#33456e",
        "#050b1c",
        0.35,
    ),
    "storm": Light(
        ("#2b3038", "#46505c", "#6b7682", "#8e98a1"),
        "#e6e6e0",
        "#b8c0c8",
        "#9aa3ad",
        "#2c323a",
        "#7d8791",
        "#1f2a33",
        0.15,
    ),
    "neon": Light(
        ("#07021a", "#1d0838", "#52106b", "#b0207a", "#ff5e8a"),
        "#ffe36e",
        "#ff4fa3",
        "#ff7ad0",
        "#2a0b45",
        "#b04fc0",
        "#0a0520",
        0.9,
    ),
}

# Land colours under white light, far to near.
BIOMES: dict[str, tuple[str, ...]] = {
    "meadow": ("#5f7f6a", "#4f7a43", "#3d6b2c", "#2c5220"),
    "mountain": ("#6e7f99", "#56657e", "#3f4b5f", "#2b3444"),
    "forest": ("#3f6b55", "#2e5a3c", "#1f4a2b", "#12331c"),
    "desert": ("#e0a86b", "#d4924f", "#c27a3a", "#a9622a"),
    "snow": ("#e6eef7", "#cfdcec", "#b7c9df", "#9fb5d0"),
    "city": ("#3a3f55", "#2b2f42", "#1e2132", "#141624"),
}
# What grass and trees turn to in a season, far to near; mixed into the meadow and forest colours.
SEASONS: dict[str, tuple[str, ...]] = {
    "autumn": ("#c98a3e", "#c8642a", "#a8431c", "#7a2c12"),
    "spring": ("#a8d878", "#8fd060", "#6cbf48", "#4aa23a"),
    "summer": ("#6fae3c", "#4f9e2a", "#3a8a1e", "#287014"),
}

COLOUR_WORDS: dict[str, str] = {
    "red": "#e0302a",
    "crimson": "#b3122e",
    "scarlet": "#e8231d",
    "orange": "#ff8a1e",
    "amber": "#ffb02e",
    "yellow": "#ffd92e",
    "gold": "#e8b923",
    "golden": "#f0b830",
    "green": "#2fbf4a",
    "emerald": "#18a86b",
    "lime": "#9be22d",
    "teal": "#1aa6a0",
    "cyan": "#20d4e8",
    "turquoise": "#2ed3c0",
    "blue": "#2a6cf0",
    "azure": "#3a9af5",
    "navy": "#17285e",
    "indigo": "#4b2fbf",
    "purple": "#8a3ad0",
    "violet": "#9b5de5",
    "magenta": "#e32fd0",
    "pink": "#ff6fb5",
    "rose": "#f0668a",
    "brown": "#8a5a34",
    "silver": "#c0c8d2",
    "white": "#f4f6fa",
    "black": "#101014",
    "copper": "#b87333",
    "bronze": "#a8722f",
    "coral": "#ff7f5a",
    "peach": "#ffb48a",
    "maroon": "#7a1a2a",
    "olive": "#7d8a2a",
    "mint": "#7fe0b0",
    "lavender": "#b49be8",
    "ochre": "#cc8a1e",
    "grey": "#8a8f98",
    "gray": "#8a8f98",
}


def tinted(light: Light, colour: np.ndarray, amount: float) -> Light:
    """`light` with its sky, glow and water pulled toward `colour` (a colour word)."""

    def pull(hex_colour: str) -> str:
        mixed = rgb(hex_colour) * (1 - amount) + colour * amount
        return "#" + "".join(f"{round(float(c) * 255):02x}" for c in np.clip(mixed, 0, 1))

    return replace(
        light,
        sky=tuple(pull(stop) for stop in light.sky),
        glow=pull(light.glow),
        water=pull(light.water),
        cloud_shade=pull(light.cloud_shade),
    )


def reference_colours(data: bytes, count: int = 4) -> np.ndarray:
    """The dominant colours of an image, most common first, as a (count, 3) float32 array."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (64, 64))  # JPEG decodes at a fraction of its size: much faster
        small = image.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR)
    quantized = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette: list[int] = list(quantized.getpalette() or [])
    counts: list[tuple[int, int]] = sorted(quantized.getcolors() or [], reverse=True)  # type: ignore[arg-type]
    colours = [palette[int(index) * 3 : int(index) * 3 + 3] for _, index in counts]
    while len(colours) < count:
        colours.append(colours[-1] if colours else [128, 128, 128])
    return np.array(colours[:count], np.float32) / 255.0
