"""The Replicate client against a local fake of Replicate's HTTP API v1, over real HTTP."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog
from PIL import Image
from pydantic import SecretStr

from dreampixel.core.settings import settings
from services.providers import replicate
from services.providers.base import GenerationRequest, ProviderError
from services.providers.replicate import ReplicateProvider
from tests.fakes.providers import FLUX_SCHNELL_VERSION, FakeReplicate
from tests.fixtures.processes import free_port

_made: list[ReplicateProvider] = []


def make(fake: FakeReplicate, *, model: str = "black-forest-labs/flux-schnell", timeout: float = 4.0,
         token: str | None = None) -> ReplicateProvider:
    provider = ReplicateProvider(token or fake.api_key, fake.base_url, model, timeout, poll_interval=0.01,
                                 max_poll_interval=0.05)
    _made.append(provider)
    return provider


@pytest.fixture(autouse=True)
async def _close_providers() -> AsyncIterator[None]:
    """Close every client a test's providers opened, on the loop that opened it."""
    yield
    while _made:
        await _made.pop().aclose()


@pytest.fixture
def flux(replicate_fake: FakeReplicate) -> ReplicateProvider:
    return make(replicate_fake)


def ask(**options: object) -> GenerationRequest:
    defaults: dict[str, object] = {"seed": 1234, "width": 1024, "height": 1024}
    return GenerationRequest("a red fox in snow", **{**defaults, **options})  # type: ignore[arg-type]


async def failure(provider: ReplicateProvider, request: GenerationRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.generate(request or ask())
    return caught.value


# --- success ------------------------------------------------------------------------------------


async def test_generation_returns_every_output_as_a_decodable_image_with_the_seed_sent(
    flux: ReplicateProvider,
) -> None:
    result = await flux.generate(ask(num_variations=2))

    assert len(result.images) == 2
    for image in result.images:
        decoded = Image.open(io.BytesIO(image.data))
        assert (decoded.format, image.content_type) == ("PNG", "image/png")
        assert (image.width, image.height) == decoded.size == (1024, 1024)
        assert image.seed == 1234
    assert (result.provider, result.model) == ("replicate", "black-forest-labs/flux-schnell")
    assert result.metadata["prediction_id"]
    assert "filtered" not in result.metadata


async def test_an_official_model_is_created_on_its_model_path_with_prefer_wait(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    await flux.generate(ask(num_variations=2))

    [sent] = replicate_fake.generations
    assert sent.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert sent.headers["authorization"] == f"Bearer {replicate_fake.api_key}"
    assert sent.headers["prefer"] == "wait=2"  # half of the 4 s budget
    assert sent.content_type == "application/json"
    assert sent.json == {"input": {
        "prompt": "a red fox in snow", "aspect_ratio": "1:1", "megapixels": "1", "num_outputs": 2,
        "num_inference_steps": 4, "seed": 1234, "output_format": "png", "output_quality": 90, "go_fast": False,
    }}


async def test_prefer_wait_never_exceeds_sixty_seconds(replicate_fake: FakeReplicate) -> None:
    await make(replicate_fake, timeout=300).generate(ask())

    assert replicate_fake.generations[0].headers["prefer"] == "wait=60"


async def test_a_versioned_model_is_created_on_predictions_with_its_version(replicate_fake: FakeReplicate) -> None:
    provider = make(replicate_fake, model=f"black-forest-labs/flux-schnell:{FLUX_SCHNELL_VERSION}")

    result = await provider.generate(ask())

    [sent] = replicate_fake.generations
    assert sent.path == "/v1/predictions"
    assert sent.json["version"] == FLUX_SCHNELL_VERSION
    assert set(sent.json) == {"version", "input"}
    assert len(result.images) == 1


async def test_request_fields_map_onto_flux_schnell_inputs(flux: ReplicateProvider, replicate_fake: FakeReplicate) -> None:
    result = await flux.generate(ask(width=512, height=288, steps=30, seed=0, output_format="jpeg"))

    given = replicate_fake.generations[0].json["input"]
    assert (given["aspect_ratio"], given["megapixels"]) == ("16:9", "0.25")
    assert given["num_inference_steps"] == 4
    assert given["output_format"] == "jpg"
    assert given["seed"] == 1  # 0 would mean "random" to Replicate
    image = result.images[0]
    assert (image.content_type, image.seed) == ("image/jpeg", 1)
    assert (image.width, image.height) == (672, 384)


async def test_outputs_are_downloaded_with_the_token(flux: ReplicateProvider, replicate_fake: FakeReplicate) -> None:
    await flux.generate(ask(num_variations=2))

    downloads = [r for r in replicate_fake.requests if r.path.startswith("/delivery/")]
    assert len(downloads) == 2
    assert all(r.headers["authorization"] == f"Bearer {replicate_fake.api_key}" for r in downloads)


async def test_an_output_url_on_an_internal_address_is_never_fetched(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    with socket.socket() as internal:
        internal.bind(("127.0.0.1", 0))
        internal.listen(4)
        internal.setblocking(False)
        replicate_fake.script("ok", output_origin=f"http://127.0.0.1:{internal.getsockname()[1]}")

        error = await failure(flux)

        with pytest.raises(BlockingIOError):
            internal.accept()  # nobody connected
    assert error.code == "provider_bad_response" and not error.retryable


async def test_an_output_file_over_the_size_cap_is_refused(
    flux: ReplicateProvider, replicate_fake: FakeReplicate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_image_size", 1000)

    error = await failure(flux)

    assert error.code == "provider_bad_response" and "larger than 1000 bytes" in error.message


async def test_an_output_declaring_a_canvas_over_the_dimension_cap_is_refused(
    flux: ReplicateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_image_dimension", 512)

    error = await failure(flux, ask(width=1024, height=1024))

    assert error.code == "provider_bad_response" and "could not be decoded" in error.message


@pytest.mark.parametrize("kind", ["output_string", "data_uri"])
async def test_a_single_url_or_data_uri_output_is_accepted(
    flux: ReplicateProvider, replicate_fake: FakeReplicate, kind: str
) -> None:
    replicate_fake.script(kind)

    result = await flux.generate(ask(output_format="webp"))

    assert Image.open(io.BytesIO(result.images[0].data)).format == "WEBP"


# --- waiting and polling ------------------------------------------------------------------------


async def test_a_non_terminal_answer_is_polled_until_it_succeeds(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.script("ok", polls=3)

    result = await flux.generate(ask())

    assert len(replicate_fake.polls) == 3
    assert all(r.headers["authorization"] == f"Bearer {replicate_fake.api_key}" for r in replicate_fake.polls)
    assert len(result.images) == 1
    assert replicate_fake.cancels == []


async def test_throttled_or_failing_polls_are_retried_within_the_budget(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.script("ok", polls=1, poll_errors=[429, 503])

    result = await flux.generate(ask())

    assert len(replicate_fake.polls) == 3
    assert len(result.images) == 1


async def test_a_poll_refused_for_good_ends_the_generation(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.script("ok", polls=1, poll_errors=[401])

    error = await failure(flux)

    assert (error.code, error.retryable) == ("provider_auth_failed", False)


async def test_a_prediction_that_outlives_the_budget_is_canceled_and_retryable(replicate_fake: FakeReplicate) -> None:
    replicate_fake.script("stuck")

    error = await failure(make(replicate_fake, timeout=0.3))

    assert (error.code, error.retryable) == ("provider_timeout", True)
    assert len(replicate_fake.cancels) == 1
    [prediction] = replicate_fake.predictions.values()
    assert prediction.status == "canceled"


async def test_a_caller_giving_up_cancels_the_prediction(replicate_fake: FakeReplicate) -> None:
    replicate_fake.script("stuck")
    provider = make(replicate_fake, timeout=5)

    with pytest.raises(TimeoutError):  # what the router's asyncio.wait_for does to a slow provider
        await asyncio.wait_for(provider.generate(ask()), 0.2)

    for _ in range(100):
        if replicate_fake.cancels:
            break
        await asyncio.sleep(0.01)
    [prediction] = replicate_fake.predictions.values()
    assert prediction.status == "canceled"


async def test_a_create_call_that_hangs_times_out_as_retryable(replicate_fake: FakeReplicate) -> None:
    replicate_fake.script("slow", seconds=0.6)

    error = await failure(make(replicate_fake, timeout=0.2))

    assert (error.code, error.retryable) == ("provider_timeout", True)


async def test_a_failure_reached_while_polling_is_classified_the_same(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.script("nsfw", polls=2)

    error = await failure(flux)

    assert error.code == "content_filtered"
    assert len(replicate_fake.polls) == 2


# --- content filtering and failed predictions ---------------------------------------------------


@pytest.mark.parametrize(("kind", "code", "retryable"), [
    ("nsfw", "content_filtered", False),
    ("e005", "content_filtered", False),
    ("failed", "provider_bad_response", False),
    ("canceled", "provider_unavailable", False),
    ("aborted", "provider_unavailable", True),
    ("bad_output", "provider_bad_response", True),
    ("malformed", "provider_bad_response", True),
])
async def test_terminal_states_map_to_stable_codes(
    flux: ReplicateProvider, replicate_fake: FakeReplicate, kind: str, code: str, retryable: bool
) -> None:
    replicate_fake.script(kind)

    error = await failure(flux)

    assert (error.code, error.retryable) == (code, retryable)


async def test_fewer_outputs_than_asked_are_delivered_and_the_rest_counted_as_filtered(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.script("partial", keep=1)

    result = await flux.generate(ask(num_variations=3))

    assert len(result.images) == 1
    assert result.metadata["filtered"] == 2


async def test_no_outputs_at_all_is_content_filtered(flux: ReplicateProvider, replicate_fake: FakeReplicate) -> None:
    replicate_fake.script("partial", keep=0)

    error = await failure(flux, ask(num_variations=2))

    assert (error.code, error.retryable) == ("content_filtered", False)


# --- HTTP errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code", "retryable"), [
    (402, "provider_payment_required", False),
    (404, "provider_not_found", False),
    (422, "invalid_request", False),
    (500, "provider_unavailable", True),
    (503, "provider_unavailable", True),
])
async def test_http_errors_map_to_stable_codes(
    flux: ReplicateProvider, replicate_fake: FakeReplicate, status: int, code: str, retryable: bool
) -> None:
    replicate_fake.script("status", status)

    error = await failure(flux)

    assert (error.code, error.retryable) == (code, retryable)


async def test_a_wrong_token_is_an_auth_failure(replicate_fake: FakeReplicate) -> None:
    error = await failure(make(replicate_fake, token="r8_wrong"))

    assert (error.code, error.retryable) == ("provider_auth_failed", False)


async def test_an_unknown_model_is_not_found(replicate_fake: FakeReplicate) -> None:
    error = await failure(make(replicate_fake, model="someone/missing-model"))

    assert (error.code, error.retryable) == ("provider_not_found", False)


async def test_an_unknown_version_is_an_invalid_request(replicate_fake: FakeReplicate) -> None:
    error = await failure(make(replicate_fake, model="black-forest-labs/flux-schnell:" + "0" * 64))

    assert (error.code, error.retryable) == ("invalid_request", False)
    assert "Invalid version" in error.message or "does not exist" in error.message


async def test_429_honours_retry_after(flux: ReplicateProvider, replicate_fake: FakeReplicate) -> None:
    replicate_fake.script("status", 429, headers={"Retry-After": "2"})

    error = await failure(flux)

    assert (error.code, error.retryable, error.retry_after) == ("provider_rate_limited", True, 2.0)


async def test_429_without_a_header_reads_the_resets_in_text(
    flux: ReplicateProvider, replicate_fake: FakeReplicate
) -> None:
    replicate_fake.script("status", 429)  # "Your rate limit resets in ~30s."

    error = await failure(flux)

    assert (error.code, error.retryable, error.retry_after) == ("provider_rate_limited", True, 30.0)


async def test_an_unreachable_server_is_retryable_unavailable() -> None:
    provider = ReplicateProvider("r8_any", f"http://127.0.0.1:{free_port()}/v1", timeout=2.0)

    error = await failure(provider)

    assert (error.code, error.retryable) == ("provider_unavailable", True)


async def test_the_fake_validates_inputs_like_replicate(replicate_fake: FakeReplicate) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{replicate_fake.base_url}/models/black-forest-labs/flux-schnell/predictions",
                                     headers={"Authorization": f"Bearer {replicate_fake.api_key}"},
                                     json={"input": {"prompt": "x", "num_inference_steps": 5, "width": 512}})

    assert response.status_code == 422
    assert {f["field"] for f in response.json()["invalid_fields"]} == {"input.num_inference_steps", "input.width"}


def test_reference_images_and_negative_prompts_are_not_offered() -> None:
    assert ReplicateProvider.capabilities.reference_image is False
    assert ReplicateProvider.capabilities.negative_prompt is False


# --- health, settings, secrets ------------------------------------------------------------------


async def test_health_reads_the_account(flux: ReplicateProvider, replicate_fake: FakeReplicate) -> None:
    health = await flux.health()

    assert (health.name, health.healthy) == ("replicate", True)
    assert "dreampixel-tests" in health.detail
    assert replicate_fake.last.path == "/v1/account"


async def test_health_is_unhealthy_on_401(replicate_fake: FakeReplicate) -> None:
    health = await make(replicate_fake, token="r8_wrong").health()

    assert health.healthy is False
    assert "401" in health.detail


def test_from_settings_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "replicate_api_token", SecretStr(""))
    assert replicate.from_settings() is None

    monkeypatch.setattr(settings, "replicate_api_token", SecretStr("r8_configured"))
    provider = replicate.from_settings()
    assert provider is not None
    assert (provider.model, provider.base_url) == (settings.replicate_model, settings.replicate_base_url)
    assert "r8_configured" not in repr(provider)


async def test_the_token_never_reaches_the_logs(
    replicate_fake: FakeReplicate, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = make(replicate_fake, timeout=0.3)
    with structlog.testing.capture_logs() as events:
        await provider.generate(ask())
        replicate_fake.script("stuck")
        timeout = await failure(provider)
        replicate_fake.script("status", 429)
        throttled = await failure(provider)
        await provider.health()

    output = capsys.readouterr()
    logged = " ".join([caplog.text, output.out, output.err, repr(events), timeout.message, throttled.message,
                       repr(provider)])
    assert events, "the client logs what it does"
    assert replicate_fake.api_key not in logged
