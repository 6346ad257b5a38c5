"""The offline `local` provider: deterministic, prompt-steered procedural images."""

from __future__ import annotations

import asyncio
import colorsys
import io
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from services.providers.base import GenerationRequest, ProviderError
from services.providers.local import LocalProvider
from services.providers.registry import configured_providers, get_provider, provider_statuses

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "local-provider"
provider = LocalProvider()


def render(prompt: str, seed: int = 7, **options: object) -> np.ndarray:
    [image] = provider.render(GenerationRequest(prompt, seed=seed, **options))  # type: ignore[arg-type]
    return np.asarray(Image.open(io.BytesIO(image.data)).convert("RGB"), dtype=np.float32)


def mean_hue(pixels: np.ndarray) -> float:
    r, g, b = pixels.reshape(-1, 3).mean(axis=0) / 255.0
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360.0


def test_same_request_gives_byte_identical_images() -> None:
    request = GenerationRequest("sunset over the ocean", seed=1234)
    assert provider.render(request)[0].data == provider.render(request)[0].data


def test_different_seeds_give_clearly_different_images() -> None:
    a, b = render("a quiet landscape", seed=1), render("a quiet landscape", seed=2)
    assert np.abs(a - b).mean() > 12


def test_sunset_over_the_ocean_has_a_warm_sky_over_darker_bluer_water() -> None:
    for seed in (1, 2, 3):
        pixels = render("sunset over the ocean", seed=seed)
        h = pixels.shape[0]
        sky = pixels[int(h * 0.3) : int(h * 0.5)].reshape(-1, 3).mean(axis=0)
        water = pixels[int(h * 0.75) :].reshape(-1, 3).mean(axis=0)
        assert sky[0] > sky[2], "the sky near the horizon is warm (more red than blue)"
        assert water.sum() < sky.sum(), "the water is darker than the sky"
        assert water[2] / water.sum() > sky[2] / sky.sum(), "the water is bluer than the sky"


def test_sunset_has_a_bright_sun_near_the_horizon() -> None:
    pixels = render("sunset over the ocean", seed=5)
    brightness = pixels.sum(axis=2)
    row = np.unravel_index(np.argmax(brightness[: int(pixels.shape[0] * 0.7)]), brightness.shape)[0]
    assert 0.35 * pixels.shape[0] < row < 0.7 * pixels.shape[0]
    assert brightness.max() > 700


def test_a_night_sky_is_dark_with_bright_stars() -> None:
    pixels = render("night sky full of stars", seed=9)
    sky = pixels[: pixels.shape[0] // 3]
    assert sky.mean() < 50
    assert (sky.max(axis=2) > 170).sum() >= 20


@pytest.mark.parametrize(("word", "low", "high"), [("blue", 190, 250), ("green", 80, 160), ("red", -30, 30)])
def test_a_colour_word_shifts_the_mean_hue(word: str, low: float, high: float) -> None:
    hue = mean_hue(render(f"mountains by a lake, {word}", seed=3))
    hue = hue - 360 if hue > 330 else hue
    assert low <= hue <= high


def _solid(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("colour", [(30, 200, 60), (220, 40, 200)])
def test_a_reference_image_pulls_the_palette_toward_its_colours(colour: tuple[int, int, int]) -> None:
    plain = render("a quiet landscape", seed=4).reshape(-1, 3).mean(axis=0)
    steered = render("a quiet landscape", seed=4, reference_image=_solid(colour)).reshape(-1, 3).mean(axis=0)
    target = np.array(colour, np.float32)

    def direction(mean: np.ndarray) -> np.ndarray:
        return mean / np.linalg.norm(mean)

    assert np.linalg.norm(direction(steered) - direction(target)) < np.linalg.norm(direction(plain) - direction(target))


def test_a_negative_prompt_removes_what_it_names() -> None:
    with_sun = render("sunset over the ocean", seed=11)
    without = render("sunset over the ocean", seed=11, negative_prompt="sun")
    assert np.abs(with_sun - without).mean() > 1
    assert without.sum(axis=2).max() < with_sun.sum(axis=2).max()


def test_num_variations_gives_distinct_images_with_consecutive_seeds() -> None:
    images = provider.render(GenerationRequest("a forest", seed=100, num_variations=3))
    assert [image.seed for image in images] == [100, 101, 102]
    assert len({image.data for image in images}) == 3


@pytest.mark.parametrize(
    ("fmt", "pil_format", "content_type"),
    [("png", "PNG", "image/png"), ("jpeg", "JPEG", "image/jpeg"), ("webp", "WEBP", "image/webp")],
)
def test_size_and_format_are_honoured(fmt: str, pil_format: str, content_type: str) -> None:
    [image] = provider.render(GenerationRequest("city at night", seed=5, width=640, height=384, output_format=fmt))  # type: ignore[arg-type]
    decoded = Image.open(io.BytesIO(image.data))
    assert (decoded.format, decoded.size) == (pil_format, (640, 384))
    assert (image.content_type, image.width, image.height) == (content_type, 640, 384)


@pytest.mark.parametrize(
    "options",
    [{"width": 500}, {"height": 4096}, {"num_variations": 9}, {"seed": -1}, {"seed": 2**32}, {"output_format": "gif"}],
)
def test_requests_outside_the_capabilities_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.render(GenerationRequest("a forest", **{"seed": 1, **options}))  # type: ignore[arg-type]
    assert caught.value.code == "invalid_request"
    assert caught.value.retryable is False


async def test_generate_runs_off_the_event_loop_and_reports_the_model() -> None:
    threads: list[threading.Thread] = []
    original = provider.render

    def recording(request: GenerationRequest) -> list:  # type: ignore[type-arg]
        threads.append(threading.current_thread())
        return original(request)

    local = LocalProvider()
    local.render = recording  # type: ignore[method-assign]
    result = await local.generate(GenerationRequest("snowy mountains", seed=3, width=256, height=256))
    assert threads and threads[0] is not threading.current_thread()
    assert (result.provider, result.model, len(result.images)) == ("local", "procedural-v1", 1)


async def test_health_is_always_healthy() -> None:
    health = await provider.health()
    assert (health.name, health.configured, health.healthy) == ("local", True, True)


async def test_the_registry_knows_every_provider_and_configures_local_only_by_default() -> None:
    assert configured_providers() == ["local"]
    statuses = {s["name"]: s for s in await provider_statuses()}
    assert set(statuses) == {"local", "stability", "replicate", "gemini"}
    assert statuses["local"]["healthy"] is True
    assert statuses["gemini"] == {"name": "gemini", "configured": False, "healthy": None, "detail": "no API key",
                                  "circuit": "closed"}
    assert get_provider("local").name == "local"
    with pytest.raises(ProviderError) as caught:
        get_provider("stability")
    assert caught.value.code == "provider_not_configured"


SAMPLES = {
    "sunset-ocean": "sunset over the ocean",
    "night-mountains": "starry night over the mountains",
    "forest": "a pine forest in the mountains at sunset",
    "city-night": "city skyline at night",
    "desert": "desert dunes",
    "snow": "snowy mountains in winter",
    "portrait": "portrait of a woman",
    "abstract": "abstract fluid swirl, purple and gold",
    "anime-lake": "anime lake at dawn",
    "synthwave": "synthwave neon sunset",
    "galaxy": "galaxy nebula in space",
    "dream": "a dream",
}


def test_save_samples_for_people_to_look_at() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, prompt in SAMPLES.items():
        [image] = provider.render(GenerationRequest(prompt, seed=42))
        (ARTIFACTS / f"{name}.png").write_bytes(image.data)
    assert len(list(ARTIFACTS.glob("*.png"))) >= len(SAMPLES)


def test_rendering_is_reentrant_across_threads() -> None:
    request = GenerationRequest("sunset over the ocean", seed=77, width=256, height=256)

    async def both() -> list[bytes]:
        results = await asyncio.gather(*(asyncio.to_thread(provider.render, request) for _ in range(2)))
        return [r[0].data for r in results]

    first, second = asyncio.run(both())
    assert first == second


# ---- the words it understands shape the picture (measured, not just "different bytes") ----------

SEEDS = (1, 2, 3, 4)


def luma(pixels: np.ndarray) -> np.ndarray:
    return pixels @ np.array([0.299, 0.587, 0.114], np.float32)


def saturation(pixels: np.ndarray) -> float:
    return float((pixels.max(axis=2) - pixels.min(axis=2)).mean())


def average(measure: object, prompt: str) -> float:
    return float(np.mean([measure(render(prompt, seed=seed, width=256, height=256)) for seed in SEEDS]))  # type: ignore[operator]


def whiteness(pixels: np.ndarray) -> float:
    """Bright and colourless: high luma, low spread between channels."""
    return float(luma(pixels).mean() - (pixels.max(axis=2) - pixels.min(axis=2)).mean())


def test_snowy_mountains_are_whiter_than_a_desert_at_noon() -> None:
    for seed in SEEDS:
        snowy = render("snowy mountains", seed=seed, width=256, height=256)
        desert = render("desert at noon", seed=seed, width=256, height=256)
        lower = slice(int(256 * 0.55), None)  # the land, where snow and sand lie
        assert whiteness(snowy[lower]) > whiteness(desert[lower]) + 40, seed


def test_night_is_darker_than_noon() -> None:
    for prompt in ("a lake {}", "a city {}", "a pine forest {}"):
        night = average(lambda p: luma(p).mean(), prompt.format("at night"))
        noon = average(lambda p: luma(p).mean(), prompt.format("at noon"))
        assert night < noon * 0.5, prompt


def test_neon_is_more_saturated_than_the_same_prompt_without_it() -> None:
    assert average(saturation, "neon city street") > average(saturation, "city street at dusk") * 1.2


@pytest.mark.parametrize(("word", "low", "high"), [("copper", 10, 45), ("teal", 150, 200), ("purple", 250, 300)])
def test_more_colour_words_shift_the_mean_hue(word: str, low: float, high: float) -> None:
    hue = mean_hue(render(f"a misty pine forest, {word}", seed=3))
    assert low <= hue <= high


def test_autumn_turns_the_forest_warm_and_spring_turns_it_green() -> None:
    def redness(pixels: np.ndarray) -> float:
        land = pixels[int(pixels.shape[0] * 0.7) :].reshape(-1, 3).mean(axis=0)
        return float(land[0] - land[1])

    assert average(redness, "rolling hills in autumn") > 25
    assert average(redness, "rolling hills in spring") < -25


def test_mist_lowers_the_contrast_of_a_forest() -> None:
    def contrast(pixels: np.ndarray) -> float:
        return float(luma(pixels).std())

    assert average(contrast, "a misty pine forest at noon") < average(contrast, "a pine forest at noon") * 0.8


def test_watercolour_is_lighter_and_softer_than_the_plain_prompt() -> None:
    def softness(pixels: np.ndarray) -> float:
        # Measured at a quarter size, so film grain does not count as detail.
        small = np.asarray(Image.fromarray(pixels.astype(np.uint8)).resize((64, 64), Image.Resampling.BOX), np.float32)
        y = luma(small)
        return -float(np.abs(np.diff(y, axis=0)).mean() + np.abs(np.diff(y, axis=1)).mean())

    plain, painted = "a pine forest by a lake at noon", "a watercolour of a pine forest by a lake at noon"
    assert average(lambda p: luma(p).mean(), painted) > average(lambda p: luma(p).mean(), plain) + 15
    assert average(softness, painted) > average(softness, plain)


def test_snowfall_scatters_white_flakes_over_the_sky() -> None:
    def flakes(pixels: np.ndarray) -> float:
        # Pixels much brighter than the blurred picture around them: specks of white.
        y = luma(pixels)
        around = np.asarray(Image.fromarray(y.astype(np.uint8)).filter(ImageFilter.BoxBlur(3)), np.float32)
        return float((y - around > 40).mean())

    assert average(flakes, "a blizzard over a cabin in the hills") > average(flakes, "a cabin in the hills at dusk") + 0.005


def test_a_prompt_with_understood_words_stays_pixel_identical() -> None:
    request = GenerationRequest("a copper teapot floating above a misty pine forest in autumn, watercolour", seed=77)
    assert provider.render(request)[0].data == provider.render(request)[0].data
