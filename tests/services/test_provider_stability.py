"""The Stability AI client against a local fake of the v2beta Stable Image API, over real HTTP."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from email.utils import formatdate

import httpx
import pytest
import structlog
from PIL import Image
from pydantic import SecretStr

from dreampixel.core.settings import settings
from services.providers import stability
from services.providers.base import GenerationRequest, ImageProvider, ProviderError
from services.providers.stability import StabilityProvider
from tests.fakes.providers import FakeStability, solid_image
from tests.fixtures.processes import free_port

_made: list[StabilityProvider] = []


def make(fake: FakeStability, endpoint: stability.Endpoint = "core", *, timeout: float = 5.0,
         key: str | None = None) -> StabilityProvider:
    provider = StabilityProvider(key or fake.api_key, fake.base_url, endpoint, timeout)
    _made.append(provider)
    return provider


@pytest.fixture(autouse=True)
async def _close_providers() -> AsyncIterator[None]:
    """Close every client a test's providers opened, on the loop that opened it."""
    yield
    while _made:
        await _made.pop().aclose()


@pytest.fixture
def core(stability_fake: FakeStability) -> StabilityProvider:
    return make(stability_fake)


def ask(**options: object) -> GenerationRequest:
    return GenerationRequest("a lighthouse at dusk", **{"seed": 42, **options})  # type: ignore[arg-type]


async def failure(provider: StabilityProvider, request: GenerationRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request or ask())
    return caught.value


# --- success ------------------------------------------------------------------------------------


async def test_generation_returns_a_decodable_png_with_the_seed_stability_used(core: StabilityProvider) -> None:
    result = await core.generate(ask())

    [image] = result.images
    decoded = Image.open(io.BytesIO(image.data))
    assert (decoded.format, image.content_type) == ("PNG", "image/png")
    assert (image.width, image.height) == decoded.size == (1280, 1280)  # core answers ~1.5 MP at 1:1
    assert image.seed == 42
    assert (result.provider, result.model) == ("stability", "stable-image-core")
    assert len(result.metadata["request_ids"]) == 1


async def test_request_is_multipart_with_the_documented_fields_and_headers(
    core: StabilityProvider, stability_fake: FakeStability
) -> None:
    await core.generate(ask(negative_prompt="fog", width=512, height=512))

    [sent] = stability_fake.generations
    assert sent.path == "/v2beta/stable-image/generate/core"
    assert sent.content_type.startswith("multipart/form-data; boundary=")
    assert sent.headers["authorization"] == f"Bearer {stability_fake.api_key}"
    assert sent.headers["accept"] == "image/*"
    assert sent.fields == {"prompt": "a lighthouse at dusk", "negative_prompt": "fog", "seed": "42",
                           "output_format": "png", "aspect_ratio": "1:1", "none": ""}
    assert sent.files == {}


@pytest.mark.parametrize(("width", "height", "ratio"), [
    (1344, 768, "16:9"), (768, 1344, "9:16"), (1024, 688, "3:2"), (1536, 640, "21:9"), (1000, 800, "5:4"),
])
async def test_width_and_height_choose_the_nearest_aspect_ratio(
    core: StabilityProvider, stability_fake: FakeStability, width: int, height: int, ratio: str
) -> None:
    await core.generate(ask(width=width, height=height))

    assert stability_fake.last.fields["aspect_ratio"] == ratio


@pytest.mark.parametrize(("ours", "sent"), [(0, 4_294_967_294), (1, 1), (4_294_967_295, 1), (4_294_967_294,
                                                                                            4_294_967_294)])
async def test_seeds_are_sent_as_deliberate_stability_seeds_never_zero(
    core: StabilityProvider, stability_fake: FakeStability, ours: int, sent: int
) -> None:
    result = await core.generate(ask(seed=ours))

    assert stability_fake.last.fields["seed"] == str(sent)
    assert result.images[0].seed == sent


async def test_variations_are_separate_calls_with_consecutive_seeds(
    core: StabilityProvider, stability_fake: FakeStability
) -> None:
    result = await core.generate(ask(seed=10, num_variations=3))

    assert [r.fields["seed"] for r in stability_fake.generations] == ["10", "11", "12"]
    assert [image.seed for image in result.images] == [10, 11, 12]


@pytest.mark.parametrize(("fmt", "pil_format"), [("jpeg", "JPEG"), ("webp", "WEBP")])
async def test_output_format_is_requested_and_delivered(
    core: StabilityProvider, stability_fake: FakeStability, fmt: str, pil_format: str
) -> None:
    result = await core.generate(ask(output_format=fmt))

    assert stability_fake.last.fields["output_format"] == fmt
    assert result.images[0].content_type == f"image/{fmt}"
    assert Image.open(io.BytesIO(result.images[0].data)).format == pil_format


async def test_sd3_sends_cfg_scale_and_a_known_model(stability_fake: FakeStability) -> None:
    provider = make(stability_fake, "sd3")
    result = await provider.generate(ask(guidance_scale=14.0, model="sd3.5-medium"))

    fields = stability_fake.last.fields
    assert (fields["cfg_scale"], fields["model"]) == ("10", "sd3.5-medium")  # clamped into 1-10
    assert result.model == "sd3.5-medium"
    assert (result.images[0].width, result.images[0].height) == (1024, 1024)


async def test_cfg_scale_is_not_sent_to_ultra_or_core(stability_fake: FakeStability) -> None:
    for endpoint in ("ultra", "core"):
        await make(stability_fake, endpoint).generate(ask())

    assert all("cfg_scale" not in r.fields and "model" not in r.fields for r in stability_fake.generations)


async def test_reference_image_goes_to_ultra_as_an_image_part_with_strength(stability_fake: FakeStability) -> None:
    reference = solid_image(256, 256, "png")
    await make(stability_fake, "ultra").generate(ask(reference_image=reference))

    sent = stability_fake.last
    assert sent.files["image"] == ("reference.png", "image/png", reference)
    assert sent.fields["strength"] == "0.6"
    assert "mode" not in sent.fields and "none" not in sent.fields


async def test_reference_image_switches_sd3_to_image_to_image_without_aspect_ratio(
    stability_fake: FakeStability,
) -> None:
    reference = solid_image(320, 160, "jpeg")
    result = await make(stability_fake, "sd3").generate(ask(reference_image=reference, width=512, height=512))

    sent = stability_fake.last
    assert sent.fields["mode"] == "image-to-image"
    assert "aspect_ratio" not in sent.fields
    assert sent.files["image"][1:] == ("image/jpeg", reference)
    assert result.images[0].width > result.images[0].height  # the output follows the reference's shape


async def test_core_offers_no_image_to_image_and_refuses_before_calling(
    core: StabilityProvider, stability_fake: FakeStability
) -> None:
    assert [make(stability_fake, e).capabilities.reference_image for e in ("ultra", "core", "sd3")] == [
        True, False, True]

    error = await failure(core, ask(reference_image=solid_image(64, 64, "png")))

    assert (error.code, error.retryable) == ("invalid_request", False)
    assert stability_fake.requests == []


async def test_the_json_answer_form_is_read_too(core: StabilityProvider, stability_fake: FakeStability) -> None:
    stability_fake.script("json")

    result = await core.generate(ask(seed=0))

    assert result.images[0].seed == 4_294_967_294
    assert Image.open(io.BytesIO(result.images[0].data)).format == "PNG"


async def test_the_provider_satisfies_the_image_provider_protocol(core: StabilityProvider) -> None:
    assert isinstance(core, ImageProvider)


def test_one_provider_object_serves_several_event_loops(stability_fake: FakeStability) -> None:
    # The registry caches providers while the app, the worker and tests each run their own loop.
    provider = make(stability_fake)

    async def generate_then_close() -> bytes:
        result = await provider.generate(ask())
        await provider.aclose()
        return result.images[0].data

    assert asyncio.run(generate_then_close()) == asyncio.run(generate_then_close())


async def test_the_fake_refuses_an_urlencoded_body_like_the_real_api(stability_fake: FakeStability) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{stability_fake.base_url}/v2beta/stable-image/generate/core",
                                     headers={"Authorization": f"Bearer {stability_fake.api_key}",
                                              "Accept": "image/*"},
                                     data={"prompt": "a lighthouse"})

    assert response.status_code == 400
    assert response.json()["errors"] == ["content-type: must be multipart/form-data"]


# --- content filtering --------------------------------------------------------------------------


async def test_a_blurred_content_filtered_image_is_never_delivered(
    core: StabilityProvider, stability_fake: FakeStability
) -> None:
    stability_fake.script("content_filtered")

    error = await failure(core)

    assert (error.code, error.retryable) == ("content_filtered", False)


async def test_a_blurred_variation_is_dropped_and_counted(core: StabilityProvider, stability_fake: FakeStability) -> None:
    stability_fake.script("content_filtered")

    result = await core.generate(ask(num_variations=2))

    assert [image.seed for image in result.images] == [43]
    assert result.metadata["filtered"] == 1


async def test_403_content_moderation_is_content_filtered(core: StabilityProvider, stability_fake: FakeStability) -> None:
    stability_fake.script("status", 403)

    error = await failure(core)

    assert (error.code, error.retryable) == ("content_filtered", False)
    assert "content moderation" in error.message


async def test_422_public_figure_is_content_filtered(core: StabilityProvider, stability_fake: FakeStability) -> None:
    stability_fake.script("public_figure")

    error = await failure(core)

    assert (error.code, error.retryable) == ("content_filtered", False)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "name", "code", "retryable"), [
    (400, None, "invalid_request", False),
    (402, None, "provider_payment_required", False),
    (403, "payment_required", "provider_auth_failed", False),  # only content_moderation 403s are filters
    (404, None, "provider_not_found", False),
    (413, None, "invalid_request", False),
    (422, None, "invalid_request", False),
    (500, None, "provider_unavailable", True),
    (502, None, "provider_unavailable", True),
    (503, None, "provider_unavailable", True),
])
async def test_http_errors_map_to_stable_codes(
    core: StabilityProvider, stability_fake: FakeStability, status: int, name: str | None, code: str,
    retryable: bool,
) -> None:
    stability_fake.script("status", status, name=name)

    error = await failure(core)

    assert (error.code, error.retryable) == (code, retryable)


async def test_a_wrong_key_is_an_auth_failure(stability_fake: FakeStability) -> None:
    error = await failure(make(stability_fake, key="sk-wrong"))

    assert (error.code, error.retryable) == ("provider_auth_failed", False)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "2"}, 2.0),
    ({}, 60.0),  # Stability's documented penalty when it sends no header
])
async def test_429_is_retryable_after_the_announced_wait(
    core: StabilityProvider, stability_fake: FakeStability, headers: dict[str, str], expected: float
) -> None:
    stability_fake.script("status", 429, headers=headers)

    error = await failure(core)

    assert (error.code, error.retryable, error.retry_after) == ("provider_rate_limited", True, expected)


async def test_429_retry_after_may_be_an_http_date(core: StabilityProvider, stability_fake: FakeStability) -> None:
    import time

    stability_fake.script("status", 429, headers={"Retry-After": formatdate(time.time() + 120, usegmt=True)})

    error = await failure(core)

    assert error.retry_after is not None and 100 < error.retry_after <= 121


@pytest.mark.parametrize("kind", ["malformed", "not_image"])
async def test_an_answer_that_is_not_an_image_is_a_retryable_bad_response(
    core: StabilityProvider, stability_fake: FakeStability, kind: str
) -> None:
    stability_fake.script(kind)

    error = await failure(core)

    assert (error.code, error.retryable) == ("provider_bad_response", True)


async def test_a_slow_answer_times_out_as_retryable(stability_fake: FakeStability) -> None:
    stability_fake.script("slow", seconds=0.6)

    error = await failure(make(stability_fake, timeout=0.2))

    assert (error.code, error.retryable) == ("provider_timeout", True)


async def test_an_unreachable_server_is_retryable_unavailable() -> None:
    provider = StabilityProvider("sk-any", f"http://127.0.0.1:{free_port()}", "core", 2.0)

    error = await failure(provider)

    assert (error.code, error.retryable) == ("provider_unavailable", True)


# --- health, settings, secrets ------------------------------------------------------------------


async def test_health_reads_the_credit_balance(core: StabilityProvider, stability_fake: FakeStability) -> None:
    health = await core.health()

    assert (health.name, health.configured, health.healthy) == ("stability", True, True)
    assert "42.50 credits" in health.detail
    assert stability_fake.last.path == "/v1/user/balance"
    assert health.latency_ms is not None


async def test_health_is_unhealthy_on_401(stability_fake: FakeStability) -> None:
    health = await make(stability_fake, key="sk-wrong").health()

    assert health.healthy is False
    assert "401" in health.detail


def test_from_settings_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "stability_api_key", SecretStr(""))
    assert stability.from_settings() is None

    monkeypatch.setattr(settings, "stability_api_key", SecretStr("sk-configured"))
    monkeypatch.setattr(settings, "stability_endpoint", "ultra")
    provider = stability.from_settings()
    assert provider is not None
    assert (provider.endpoint, provider.base_url, provider.timeout) == (
        "ultra", settings.stability_base_url, settings.generation_provider_timeout_seconds)
    assert "sk-configured" not in repr(provider)


async def test_the_api_key_never_reaches_the_logs(
    stability_fake: FakeStability, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = make(stability_fake)
    with structlog.testing.capture_logs() as events:
        await provider.generate(ask())
        stability_fake.script("status", 500)
        error = await failure(provider)
        await provider.health()
        await make(stability_fake, key="sk-wrong-but-secret").health()

    output = capsys.readouterr()
    logged = " ".join([caplog.text, output.out, output.err, repr(events), error.message, repr(provider)])
    assert events, "the client logs what it does"
    assert stability_fake.api_key not in logged
    assert "sk-wrong-but-secret" not in logged
