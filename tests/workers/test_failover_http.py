"""Failover across the real HTTP clients: the worker moves to the next real provider on a 5xx or
a 429, never on a content-filter refusal and never to the offline `local` provider; each attempt
is recorded on the generation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from dreampixel.core import metrics
from dreampixel.core.models import GenerationStatus
from dreampixel.core.settings import ProviderName, settings
from services.providers import registry
from services.providers.breaker import reset_all
from tests.fakes.providers import FakeReplicate, FakeStability
from tests.fixtures.api import new_key
from tests.fixtures.engine import Harness, balance_and_ledger, images_of, load, make_user, submit


@pytest.fixture
def http_providers(stability_fake: FakeStability, replicate_fake: FakeReplicate,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings, "stability_api_key", type(settings.stability_api_key)(stability_fake.api_key))
    monkeypatch.setattr(settings, "stability_base_url", stability_fake.base_url)
    monkeypatch.setattr(settings, "replicate_api_token", type(settings.replicate_api_token)(replicate_fake.api_key))
    monkeypatch.setattr(settings, "replicate_base_url", replicate_fake.base_url)
    monkeypatch.setattr(settings, "ai_provider", ProviderName.STABILITY)
    monkeypatch.setattr(settings, "provider_order", "stability,replicate,gemini")
    registry.reset()
    reset_all()
    yield
    registry.reset()
    reset_all()


async def test_a_stability_outage_fails_over_to_replicate(engine: Harness, http_providers: None,
                                                         stability_fake: FakeStability,
                                                         replicate_fake: FakeReplicate) -> None:
    stability_fake.script("status", 503)
    user_id = make_user(credits=5)
    generation_id = await asyncio.to_thread(submit, user_id, width=512, height=512)
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.SUCCEEDED and done.provider_used == "replicate"
    assert [(a["provider"], a["error_code"]) for a in done.attempts] == [
        ("stability", "provider_unavailable"), ("replicate", None)]
    assert len(stability_fake.generations) == 1 and len(replicate_fake.generations) == 1


async def test_a_rate_limited_provider_is_passed_over(engine: Harness, http_providers: None,
                                                      stability_fake: FakeStability) -> None:
    stability_fake.script("status", 429, headers={"Retry-After": "30"})
    generation_id = await asyncio.to_thread(submit, make_user(credits=5), width=512, height=512)
    await engine.settle()
    done = load(generation_id)
    assert done.provider_used == "replicate" and done.attempts[0]["error_code"] == "provider_rate_limited"


async def test_a_content_filter_refusal_is_final(engine: Harness, http_providers: None,
                                                 stability_fake: FakeStability,
                                                 replicate_fake: FakeReplicate) -> None:
    stability_fake.script("status", 403)  # Stability's content_moderation refusal
    user_id = make_user(credits=5)
    generation_id = await asyncio.to_thread(submit, user_id, width=512, height=512)
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.FAILED and done.error_code == "content_filtered"
    assert replicate_fake.generations == [], "no other provider is asked"
    assert balance_and_ledger(user_id) == (5, 5)


async def test_provider_health_reports_the_configured_http_providers(engine: Harness, http_providers: None) -> None:
    statuses = {s["name"]: s for s in await registry.provider_statuses()}
    assert statuses["stability"]["configured"] and statuses["stability"]["healthy"] is True
    assert statuses["replicate"]["configured"] and statuses["replicate"]["healthy"] is True
    assert statuses["gemini"]["configured"] is False and statuses["gemini"]["healthy"] is None


@pytest.fixture
def stability_only(stability_fake: FakeStability, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Stability is the one real provider configured (local is always there)."""
    monkeypatch.setattr(settings, "stability_api_key", type(settings.stability_api_key)(stability_fake.api_key))
    monkeypatch.setattr(settings, "stability_base_url", stability_fake.base_url)
    monkeypatch.setattr(settings, "replicate_api_token", type(settings.replicate_api_token)(""))
    monkeypatch.setattr(settings, "gemini_api_key", type(settings.gemini_api_key)(""))
    monkeypatch.setattr(settings, "ai_provider", None)
    monkeypatch.setattr(settings, "provider_order", "stability,replicate,gemini")
    # One run, no retry later: the outcome is final as soon as the run ends.
    monkeypatch.setattr(settings, "generation_max_retries", 0)
    registry.reset()
    reset_all()
    yield
    registry.reset()
    reset_all()


async def test_a_stability_outage_without_another_real_provider_fails_with_no_charge(
        engine: Harness, stability_only: None, stability_fake: FakeStability) -> None:
    errors, failed = (metrics.PROVIDER_ERRORS.labels("stability", "provider_unavailable"),
                      metrics.GENERATIONS.labels("failed", "none"))
    errors_before, failed_before = errors._value.get(), failed._value.get()
    stability_fake.script("status", 503)
    user_id = make_user(credits=5)
    generation_id = await asyncio.to_thread(submit, user_id, width=512, height=512)
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.FAILED and done.provider_used is None
    assert (errors._value.get(), failed._value.get()) == (errors_before + 1, failed_before + 1)
    assert [a["provider"] for a in done.attempts] == ["stability"], "local is never a fallback"
    assert done.error_message is not None and "Your credits were returned" in done.error_message
    assert balance_and_ledger(user_id) == (5, 5)
    assert images_of(generation_id) == []


async def test_without_a_provider_asked_for_the_configured_real_provider_serves(
        engine: Harness, stability_only: None, stability_fake: FakeStability) -> None:
    generation_id = await asyncio.to_thread(submit, make_user(credits=5), width=512, height=512)
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.SUCCEEDED and done.provider_used == "stability"
    assert len(stability_fake.generations) == 1


async def test_local_serves_when_it_is_asked_for(engine: Harness, stability_only: None,
                                                 stability_fake: FakeStability) -> None:
    generation_id = await asyncio.to_thread(submit, make_user(credits=5), width=512, height=512,
                                         provider_requested="local")
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.SUCCEEDED and done.provider_used == "local"
    assert stability_fake.generations == []


async def test_local_serves_when_it_is_the_only_provider(engine: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("stability_api_key", "replicate_api_token", "gemini_api_key"):
        monkeypatch.setattr(settings, name, type(getattr(settings, name))(""))
    monkeypatch.setattr(settings, "ai_provider", None)
    registry.reset()
    generation_id = await asyncio.to_thread(submit, make_user(credits=5))
    await engine.settle()
    assert load(generation_id).provider_used == "local"


async def test_the_api_says_which_provider_delivered_after_a_failover(
        api: httpx.AsyncClient, http_providers: None, stability_fake: FakeStability) -> None:
    stability_fake.script("status", 503)
    key, _user_id = await asyncio.to_thread(new_key)
    created = await api.post("/api/v1/generations", headers={"x-api-key": key},
                             json={"prompt": "a lighthouse at dusk", "width": 512, "height": 512})
    assert created.status_code == 202, created.text
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]
    generation_id = created.json()["id"]
    v1 = (await api.get(f"/api/v1/generations/{generation_id}", headers={"x-api-key": key})).json()
    assert v1["status"] == "succeeded" and v1["provider"]["used"] == "replicate"
    assert [a["provider"] for a in v1["provider"]["attempts"]] == ["stability", "replicate"]
    original = (await api.get(f"/api/generations/{generation_id}", headers={"x-api-key": key})).json()
    assert original["generation"]["provider"] == "replicate"
