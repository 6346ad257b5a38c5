"""The Gemini client against a local fake of the Gemini API's generateContent, over real HTTP."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog
from PIL import Image
from pydantic import SecretStr

from dreampixel.core.settings import settings
from services.providers import gemini
from services.providers.base import GenerationRequest, ProviderError
from services.providers.gemini import GeminiProvider
from tests.fakes.providers import FakeGemini, solid_image
from tests.fixtures.processes import free_port

MODEL = "gemini-3.1-flash-image"
_made: list[GeminiProvider] = []


def make(fake: FakeGemini, *, model: str = MODEL, timeout: float = 5.0, key: str | None = None) -> GeminiProvider:
    provider = GeminiProvider(key or fake.api_key, fake.base_url, model, timeout)
    _made.append(provider)
    return provider


@pytest.fixture(autouse=True)
async def _close_providers() -> AsyncIterator[None]:
    """Close every client a test's providers opened, on the loop that opened it."""
    yield
    while _made:
        await _made.pop().aclose()


@pytest.fixture
def provider(gemini_fake: FakeGemini) -> GeminiProvider:
    return make(gemini_fake)


def ask(**options: object) -> GenerationRequest:
    defaults: dict[str, object] = {"seed": 77, "width": 1024, "height": 1024}
    return GenerationRequest("a watercolor fox in snow", **{**defaults, **options})  # type: ignore[arg-type]


async def failure(provider: GeminiProvider, request: GenerationRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request or ask())
    return caught.value


# --- success ------------------------------------------------------------------------------------


async def test_generation_returns_the_inline_image_with_the_seed_sent(provider: GeminiProvider) -> None:
    result = await provider.generate(ask())

    [image] = result.images
    decoded = Image.open(io.BytesIO(image.data))
    assert (decoded.format, image.content_type) == ("PNG", "image/png")
    assert (image.width, image.height) == decoded.size == (1024, 1024)
    assert image.seed == 77
    assert (result.provider, result.model) == ("gemini", MODEL)
    assert len(result.metadata["response_ids"]) == 1


async def test_request_has_the_documented_shape_and_key_header(
    provider: GeminiProvider, gemini_fake: FakeGemini
) -> None:
    await provider.generate(ask())

    [sent] = gemini_fake.generations
    assert sent.path == f"/v1beta/models/{MODEL}:generateContent"
    assert sent.headers["x-goog-api-key"] == gemini_fake.api_key
    assert "key" not in sent.query  # never on the URL, where logs would keep it
    assert sent.json == {
        "contents": [{"role": "user", "parts": [{"text": "a watercolor fox in snow"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "1:1"},
                             "seed": 77},
    }


async def test_size_picks_the_nearest_aspect_ratio_and_a_larger_image_size(
    provider: GeminiProvider, gemini_fake: FakeGemini
) -> None:
    result = await provider.generate(ask(width=2048, height=1152))

    assert gemini_fake.last.json["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert (result.images[0].width, result.images[0].height) == (2688, 1536)


async def test_seeds_are_sent_as_int32(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    result = await provider.generate(ask(seed=2**32 - 1))

    assert gemini_fake.last.json["generationConfig"]["seed"] == 2**31 - 1
    assert result.images[0].seed == 2**31 - 1


async def test_the_negative_prompt_becomes_an_avoid_line(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    await provider.generate(ask(negative_prompt="text, watermark"))

    [part] = gemini_fake.last.json["contents"][0]["parts"]
    assert part["text"] == "a watercolor fox in snow\n\nAvoid: text, watermark"


async def test_a_reference_image_is_sent_as_inline_data(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    reference = solid_image(96, 64, "jpeg")

    await provider.generate(ask(reference_image=reference))

    text, inline = gemini_fake.last.json["contents"][0]["parts"]
    assert text == {"text": "a watercolor fox in snow"}
    assert inline["inlineData"]["mimeType"] == "image/jpeg"
    assert base64.b64decode(inline["inlineData"]["data"]) == reference


async def test_variations_are_separate_calls_with_consecutive_seeds(
    provider: GeminiProvider, gemini_fake: FakeGemini
) -> None:
    result = await provider.generate(ask(num_variations=3))

    assert [r.json["generationConfig"]["seed"] for r in gemini_fake.generations] == [77, 78, 79]
    assert [image.seed for image in result.images] == [77, 78, 79]


async def test_an_answer_with_several_images_can_cover_several_variations(
    provider: GeminiProvider, gemini_fake: FakeGemini
) -> None:
    gemini_fake.script("images", count=2)

    result = await provider.generate(ask(num_variations=2))

    assert len(result.images) == 2
    assert len(gemini_fake.generations) == 1


async def test_thought_parts_are_skipped(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    gemini_fake.script("thought")

    result = await provider.generate(ask())

    [image] = result.images
    assert (image.width, image.height) == (1024, 1024)  # not the 64x64 interim thought image


@pytest.mark.parametrize(("served", "asked", "pil_format"), [
    ("image/png", "jpeg", "JPEG"), ("image/jpeg", "png", "PNG"), ("image/png", "webp", "WEBP"),
])
async def test_images_are_delivered_in_the_requested_format(
    provider: GeminiProvider, gemini_fake: FakeGemini, served: str, asked: str, pil_format: str
) -> None:
    gemini_fake.script("mime", mime=served)

    result = await provider.generate(ask(output_format=asked))

    assert result.images[0].content_type == f"image/{asked}"
    assert Image.open(io.BytesIO(result.images[0].data)).format == pil_format


# --- content filtering and empty answers --------------------------------------------------------


@pytest.mark.parametrize("reason", ["SAFETY", "PROHIBITED_CONTENT", "IMAGE_SAFETY"])
async def test_a_blocked_prompt_is_content_filtered(
    provider: GeminiProvider, gemini_fake: FakeGemini, reason: str
) -> None:
    gemini_fake.script("blocked", reason=reason)

    error = await failure(provider)

    assert (error.code, error.retryable) == ("content_filtered", False)
    assert reason in error.message


@pytest.mark.parametrize("reason", ["IMAGE_SAFETY", "SAFETY", "IMAGE_PROHIBITED_CONTENT", "RECITATION"])
async def test_a_safety_finish_reason_is_content_filtered(
    provider: GeminiProvider, gemini_fake: FakeGemini, reason: str
) -> None:
    gemini_fake.script("finish", reason=reason)

    error = await failure(provider)

    assert (error.code, error.retryable) == ("content_filtered", False)


async def test_a_withheld_variation_is_dropped_and_counted(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    gemini_fake.script("finish", reason="IMAGE_SAFETY")

    result = await provider.generate(ask(num_variations=2))

    assert [image.seed for image in result.images] == [78]
    assert result.metadata["filtered"] == 1


@pytest.mark.parametrize(("kind", "options"), [
    ("finish", {"reason": "NO_IMAGE"}),
    ("finish", {"reason": "IMAGE_OTHER"}),
    ("finish", {"reason": "OTHER"}),
    ("text_only", {}),
    ("malformed", {}),
    ("bad_base64", {}),
])
async def test_an_answer_without_a_usable_image_is_a_retryable_bad_response(
    provider: GeminiProvider, gemini_fake: FakeGemini, kind: str, options: dict[str, str]
) -> None:
    gemini_fake.script(kind, **options)

    error = await failure(provider)

    assert (error.code, error.retryable) == ("provider_bad_response", True)


# --- HTTP errors --------------------------------------------------------------------------------


async def test_an_invalid_key_is_an_auth_failure(gemini_fake: FakeGemini) -> None:
    error = await failure(make(gemini_fake, key="AIza-wrong"))  # 400 INVALID_ARGUMENT, reason API_KEY_INVALID

    assert (error.code, error.retryable) == ("provider_auth_failed", False)


async def test_a_retired_model_is_not_found(gemini_fake: FakeGemini) -> None:
    error = await failure(make(gemini_fake, model="gemini-3.1-flash-image-preview"))

    assert (error.code, error.retryable) == ("provider_not_found", False)
    assert "retired" in error.message


@pytest.mark.parametrize(("status", "options", "code", "retryable"), [
    (400, {"message": "Request contains an invalid argument."}, "invalid_request", False),
    (400, {"message": "The prompt could not be submitted. This prompt contains sensitive words that violate "
                      "Google's Responsible AI practices."}, "content_filtered", False),
    (400, {"status_name": "FAILED_PRECONDITION", "message": "User location is not supported for the API use "
                                                            "without a billing account linked."},
     "provider_payment_required", False),
    (403, {"message": "The caller does not have permission"}, "provider_auth_failed", False),
    (408, {}, "provider_timeout", True),
    (500, {}, "provider_unavailable", True),
    (502, {}, "provider_unavailable", True),
    (503, {"message": "Service Unavailable"}, "provider_unavailable", True),
    (504, {}, "provider_timeout", True),
])
async def test_http_errors_map_to_stable_codes(
    provider: GeminiProvider, gemini_fake: FakeGemini, status: int, options: dict[str, str], code: str,
    retryable: bool,
) -> None:
    gemini_fake.script("status", status, **options)

    error = await failure(provider)

    assert (error.code, error.retryable) == (code, retryable)


async def test_429_waits_for_the_retry_info_delay(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    gemini_fake.script("rate_limited", retry_delay="34s")

    error = await failure(provider)

    assert (error.code, error.retryable, error.retry_after) == ("provider_rate_limited", True, 34.0)


async def test_429_falls_back_to_retry_after(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    gemini_fake.script("status", 429, headers={"Retry-After": "3"})

    error = await failure(provider)

    assert (error.code, error.retryable, error.retry_after) == ("provider_rate_limited", True, 3.0)


async def test_an_exhausted_daily_quota_is_not_retryable(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    gemini_fake.script("rate_limited", per_day=True)

    error = await failure(provider)

    assert (error.code, error.retryable) == ("provider_rate_limited", False)
    assert "daily quota" in error.message


async def test_a_slow_answer_times_out_as_retryable(gemini_fake: FakeGemini) -> None:
    gemini_fake.script("slow", seconds=0.6)

    error = await failure(make(gemini_fake, timeout=0.2))

    assert (error.code, error.retryable) == ("provider_timeout", True)


async def test_an_unreachable_server_is_retryable_unavailable() -> None:
    error = await failure(GeminiProvider("AIza-any", f"http://127.0.0.1:{free_port()}/v1beta", MODEL, 2.0))

    assert (error.code, error.retryable) == ("provider_unavailable", True)


async def test_the_fake_refuses_fields_the_gemini_api_does_not_know(gemini_fake: FakeGemini) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{gemini_fake.base_url}/models/{MODEL}:generateContent", headers={"x-goog-api-key": gemini_fake.api_key},
            json={"contents": [{"parts": [{"text": "x"}]}],
                  "generationConfig": {"imageConfig": {"aspectRatio": "1:1", "outputMimeType": "image/png"}}})

    assert response.status_code == 400
    assert "outputMimeType" in response.json()["error"]["message"]


# --- health, settings, secrets ------------------------------------------------------------------


async def test_health_reads_the_model(provider: GeminiProvider, gemini_fake: FakeGemini) -> None:
    health = await provider.health()

    assert (health.name, health.healthy) == ("gemini", True)
    assert gemini_fake.last.path == f"/v1beta/models/{MODEL}"


async def test_health_is_unhealthy_with_a_bad_key(gemini_fake: FakeGemini) -> None:
    health = await make(gemini_fake, key="AIza-wrong").health()

    assert health.healthy is False
    assert "API key" in health.detail


async def test_health_is_unhealthy_when_the_model_is_retired(gemini_fake: FakeGemini) -> None:
    health = await make(gemini_fake, model="gemini-3-pro-image-preview").health()

    assert health.healthy is False


def test_from_settings_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "gemini_api_key", SecretStr(""))
    assert gemini.from_settings() is None

    monkeypatch.setattr(settings, "gemini_api_key", SecretStr("AIza-configured"))
    provider = gemini.from_settings()
    assert provider is not None
    assert (provider.model, provider.base_url) == (settings.gemini_model, settings.gemini_base_url)
    assert "AIza-configured" not in repr(provider)


async def test_the_api_key_never_reaches_the_logs(
    gemini_fake: FakeGemini, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = make(gemini_fake)
    with structlog.testing.capture_logs() as events:
        await provider.generate(ask())
        gemini_fake.script("rate_limited")
        error = await failure(provider)
        await provider.health()

    output = capsys.readouterr()
    logged = " ".join([caplog.text, output.out, output.err, repr(events), error.message, repr(provider)])
    assert events, "the client logs what it does"
    assert gemini_fake.api_key not in logged
