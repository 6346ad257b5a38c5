"""From prompt words to a scene plan: which layers to paint, in which light and colours."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from services.providers.procedural.palette import COLOUR_WORDS, rgb

# Each word (or its plural) switches on a feature of the scene.
WORDS: dict[str, tuple[str, ...]] = {
    "sunset": ("sunset",),
    "sundown": ("sunset",),
    "dusk": ("sunset",),
    "evening": ("sunset",),
    "golden": ("sunset",),
    "sunrise": ("dawn",),
    "dawn": ("dawn",),
    "morning": ("dawn",),
    "day": ("day",),
    "noon": ("day",),
    "sunny": ("day", "sun"),
    "daylight": ("day",),
    "night": ("night",),
    "midnight": ("night",),
    "star": ("night", "stars"),
    "starry": ("night", "stars"),
    "moon": ("night", "moon"),
    "moonlight": ("night", "moon"),
    "moonlit": ("night", "moon"),
    "galaxy": ("night", "stars", "nebula"),
    "nebula": ("night", "stars", "nebula"),
    "space": ("night", "stars", "nebula", "planet"),
    "cosmic": ("night", "stars", "nebula"),
    "planet": ("night", "stars", "planet"),
    "universe": ("night", "stars", "nebula"),
    "storm": ("storm", "clouds"),
    "stormy": ("storm", "clouds"),
    "rain": ("storm", "clouds"),
    "overcast": ("storm", "clouds"),
    "sun": ("sun",),
    "cloud": ("clouds",),
    "cloudy": ("clouds",),
    "sky": ("sky",),
    "fog": ("fog",),
    "mist": ("fog",),
    "misty": ("fog",),
    "ocean": ("water",),
    "sea": ("water",),
    "lake": ("water",),
    "water": ("water",),
    "beach": ("water", "beach"),
    "river": ("water",),
    "reflection": ("water",),
    "coast": ("water",),
    "bay": ("water",),
    "wave": ("water",),
    "mountain": ("mountains",),
    "peak": ("mountains",),
    "alps": ("mountains", "snow"),
    "hill": ("hills",),
    "valley": ("mountains", "hills"),
    "canyon": ("mountains", "desert"),
    "volcano": ("mountains",),
    "forest": ("trees", "forest"),
    "tree": ("trees",),
    "wood": ("trees", "forest"),
    "pine": ("trees", "forest"),
    "jungle": ("trees", "forest"),
    "woodland": ("trees", "forest"),
    "city": ("city",),
    "skyline": ("city",),
    "building": ("city",),
    "urban": ("city",),
    "cyberpunk": ("city", "neon"),
    "metropolis": ("city",),
    "town": ("city",),
    "street": ("city",),
    "skyscraper": ("city",),
    "desert": ("desert",),
    "dune": ("desert",),
    "sand": ("desert",),
    "sahara": ("desert",),
    "snow": ("snow",),
    "snowy": ("snow",),
    "winter": ("snow",),
    "ice": ("snow",),
    "frozen": ("snow",),
    "arctic": ("snow",),
    "portrait": ("portrait",),
    "face": ("portrait",),
    "person": ("portrait",),
    "woman": ("portrait",),
    "man": ("portrait",),
    "girl": ("portrait",),
    "boy": ("portrait",),
    "character": ("portrait",),
    "selfie": ("portrait",),
    "headshot": ("portrait",),
    "abstract": ("abstract",),
    "pattern": ("abstract",),
    "fractal": ("abstract",),
    "swirl": ("abstract",),
    "flow": ("abstract",),
    "psychedelic": ("abstract",),
    "marble": ("abstract",),
    "fluid": ("abstract",),
    "anime": ("anime",),
    "manga": ("anime",),
    "cartoon": ("anime",),
    "cel": ("anime",),
    "illustration": ("anime",),
    "ghibli": ("anime",),
    "neon": ("neon",),
    "synthwave": ("neon", "grid", "sun"),
    "retrowave": ("neon", "grid", "sun"),
    "vaporwave": ("neon", "grid", "pastel"),
    "pastel": ("pastel",),
    "soft": ("pastel",),
    "monochrome": ("mono",),
    "grayscale": ("mono",),
    "greyscale": ("mono",),
    "noir": ("mono", "dark"),
    "sepia": ("sepia",),
    "vintage": ("sepia",),
    "dark": ("dark",),
    "moody": ("dark",),
    "gloomy": ("dark",),
    "bright": ("bright",),
    "vibrant": ("bright",),
    # Seasons colour the land; winter brings snow, summer a clear day.
    "autumn": ("autumn",),
    "autumnal": ("autumn",),
    "fall": ("autumn",),
    "spring": ("spring",),
    "springtime": ("spring",),
    "blossom": ("spring",),
    "summer": ("summer",),
    "summertime": ("summer",),
    "snowing": ("snow", "snowfall", "clouds"),
    "snowfall": ("snow", "snowfall", "clouds"),
    "snowflake": ("snow", "snowfall"),
    "blizzard": ("snow", "snowfall", "storm", "clouds"),
    "haze": ("fog",),
    "hazy": ("fog",),
    "foggy": ("fog",),
    # Painting styles and palettes.
    "watercolour": ("watercolour",),
    "watercolor": ("watercolour",),
    "aquarelle": ("watercolour",),
    "painting": ("watercolour",),
    "painted": ("watercolour",),
    "painterly": ("watercolour",),
    "warm": ("warm",),
    "cool": ("cool",),
    "cold": ("cool",),
    "icy": ("cool", "snow"),
    "muted": ("muted",),
    "desaturated": ("muted",),
    "washed": ("muted",),
}
TIMES = ("sunset", "dawn", "night", "storm", "day")
# What a negative-prompt word takes away.
REMOVALS: dict[str, tuple[str, ...]] = {
    "sun": ("sun",),
    "moon": ("moon",),
    "star": ("stars",),
    "cloud": ("clouds",),
    "water": ("water",),
    "ocean": ("water",),
    "sea": ("water",),
    "lake": ("water",),
    "reflection": ("water",),
    "mountain": ("mountains",),
    "hill": ("hills",),
    "tree": ("trees",),
    "forest": ("trees",),
    "building": ("city",),
    "city": ("city",),
    "snow": ("snow", "snowfall"),
    "grain": ("grain",),
    "noise": ("grain",),
    "vignette": ("vignette",),
    "people": ("portrait",),
    "person": ("portrait",),
    "face": ("portrait",),
    "fog": ("fog",),
    "grid": ("grid",),
    "nebula": ("nebula",),
    "planet": ("planet",),
}


@dataclass
class Scene:
    """Everything the painter needs to know, decided before any pixel is touched."""

    time: str
    features: set[str]
    tints: list[np.ndarray] = field(default_factory=list)
    banned_colours: list[np.ndarray] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    horizon: float = 0.62
    sun_x: float = 0.5
    sun_height: float = 0.1  # above the horizon, as a fraction of the image height
    biome: str = "meadow"
    season: str = ""  # "autumn", "spring" or "summer": recolours grass and trees

    def has(self, name: str) -> bool:
        return name in self.features


def words(text: str) -> list[str]:
    """Lower-case words with a plural 's' dropped when the singular is known."""
    found = []
    for word in re.findall(r"[a-z]+", text.lower()):
        if word not in WORDS and word not in COLOUR_WORDS and word not in REMOVALS and word.endswith("s"):
            word = word[:-1]
        found.append(word)
    return found


def prompt_key(prompt: str) -> int:
    """A stable 32-bit number for a prompt (Python's hash() changes between processes)."""
    return int.from_bytes(hashlib.blake2b(prompt.strip().lower().encode(), digest_size=4).digest(), "big")


def plan(prompt: str, negative_prompt: str, rng: np.random.Generator) -> Scene:
    """Read the prompt into a Scene; the seed's `rng` fills in whatever the words leave open."""
    features: set[str] = set()
    tints: list[np.ndarray] = []
    for word in words(prompt):
        features.update(WORDS.get(word, ()))
        if word in COLOUR_WORDS:
            tints.append(rgb(COLOUR_WORDS[word]))
    time = next((t for t in TIMES if t in features), None)
    if time is None:
        time = "neon" if "neon" in features else _open_time(features, rng)
    elif "neon" in features and time != "day":
        time = "neon"
    _fill_in(features, time, rng)

    removed: set[str] = set()
    banned: list[np.ndarray] = []
    for word in words(negative_prompt):
        removed.update(REMOVALS.get(word, ()))
        if word in COLOUR_WORDS:
            banned.append(rgb(COLOUR_WORDS[word]))
    features -= removed
    tints = [t for t in tints if not any(np.abs(t - b).sum() < 0.05 for b in banned)]

    scene = Scene(time=time, features=features, tints=tints, banned_colours=banned, removed=removed)
    scene.season = next((s for s in ("autumn", "spring", "summer") if s in features), "")
    scene.horizon = float(rng.uniform(0.56, 0.68)) if scene.has("water") else float(rng.uniform(0.6, 0.72))
    scene.sun_x = float(rng.uniform(0.28, 0.72))
    scene.sun_height = {"sunset": 0.07, "dawn": 0.1, "day": 0.38, "night": 0.3, "neon": 0.18, "storm": 0.3}[time]
    scene.sun_height *= float(rng.uniform(0.8, 1.2))
    scene.biome = next(
        (b for b in ("desert", "snow", "city", "forest") if b in features),
        "mountain" if "mountains" in features else "meadow",
    )
    return scene


def _open_time(features: set[str], rng: np.random.Generator) -> str:
    """The time of day when no word names one: the seed picks, leaning to daylight for bright scenes."""
    if features & {"snow", "summer", "spring", "autumn", "desert"}:
        # Snow, seasons and sand read as themselves in daylight, not under a red sky.
        return str(rng.choice(["day", "dawn"], p=[0.8, 0.2]))
    return str(rng.choice(["day", "sunset", "dawn", "night"], p=[0.35, 0.35, 0.1, 0.2]))


def _fill_in(features: set[str], time: str, rng: np.random.Generator) -> None:
    """Add the layers a scene needs to read well, and seed-chosen extras for bare prompts."""
    landscape = not features & {"portrait", "abstract"}
    if time in ("sunset", "dawn") or (time == "day" and rng.random() < 0.85):
        features.add("sun")
    if time == "neon" and "city" not in features:
        features.update(("sun", "grid"))
    if time == "night" and "nebula" not in features:
        features.update(("stars",) if "moon" in features or rng.random() < 0.5 else ("stars", "moon"))
    if "clouds" not in features and time not in ("night", "neon") and rng.random() < 0.7:
        features.add("clouds")
    if not landscape:
        return
    terrain = {"mountains", "hills", "trees", "city", "desert", "water", "grid"}
    if not features & terrain:
        # A bare prompt ("a dream", "serenity"): let the seed compose a landscape.
        features.add(str(rng.choice(["mountains", "hills"])))
        if rng.random() < 0.5:
            features.add("water")
        if rng.random() < 0.5:
            features.add("trees")
    if "snow" in features and not features & {"mountains", "hills", "trees", "city"}:
        features.add("hills")
    if "forest" in features and rng.random() < 0.6:
        features.add("hills")
