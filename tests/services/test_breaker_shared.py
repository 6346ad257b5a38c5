"""The circuit breaker shared through Redis: two breakers on two clients stand for two processes,
and they agree on a provider's health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis
from redis.asyncio import Redis

from dreampixel.core.settings import settings
from services.providers import breaker
from services.providers.breaker import BreakerState, SharedCircuitBreaker, reset_all

COOLDOWN = 0.3


@pytest.fixture
async def processes(redis_client: redis.Redis, redis_url: str) -> AsyncIterator[tuple[SharedCircuitBreaker, ...]]:
    """The same provider's breaker as two processes see it, each through its own connection."""
    clients = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    yield tuple(SharedCircuitBreaker(client, "stability", failure_threshold=3, cooldown_seconds=COOLDOWN,
                                     probe_lease_seconds=COOLDOWN) for client in clients)
    for client in clients:
        await client.aclose()


async def test_failures_in_one_process_open_the_circuit_for_the_other(
        processes: tuple[SharedCircuitBreaker, SharedCircuitBreaker]) -> None:
    first, second = processes
    await first.record_failure()
    await second.record_failure()
    assert await first.allow() and await second.state() is BreakerState.CLOSED, "below the threshold"
    await first.record_failure()
    assert await second.state() is BreakerState.OPEN
    assert not await second.allow() and not await first.allow()


async def test_after_the_cool_down_exactly_one_process_probes_and_its_success_closes_it_for_both(
        processes: tuple[SharedCircuitBreaker, SharedCircuitBreaker]) -> None:
    first, second = processes
    for _ in range(3):
        await first.record_failure()
    await asyncio.sleep(COOLDOWN + 0.05)
    assert await second.state() is BreakerState.HALF_OPEN
    assert [await second.allow(), await first.allow()] == [True, False], "one probe, anywhere"
    await second.record_success()
    assert await first.state() is BreakerState.CLOSED and await first.allow()


async def test_a_failed_probe_opens_the_circuit_again_for_everyone(
        processes: tuple[SharedCircuitBreaker, SharedCircuitBreaker]) -> None:
    first, second = processes
    for _ in range(3):
        await first.record_failure()
    await asyncio.sleep(COOLDOWN + 0.05)
    assert await second.allow()
    await second.record_failure()
    assert await first.state() is BreakerState.OPEN and not await first.allow()


async def test_a_probe_whose_process_died_frees_the_slot_after_its_lease(
        processes: tuple[SharedCircuitBreaker, SharedCircuitBreaker]) -> None:
    first, second = processes
    for _ in range(3):
        await first.record_failure()
    await asyncio.sleep(COOLDOWN + 0.05)
    assert await first.allow()  # ... and this process is killed before it reports
    assert not await second.allow()
    await asyncio.sleep(COOLDOWN + 0.05)
    assert await second.allow()


async def test_the_state_expires_when_nobody_touches_it(processes: tuple[SharedCircuitBreaker, ...],
                                                        redis_client: redis.Redis) -> None:
    await processes[0].record_failure()
    assert 0 < redis_client.ttl(processes[0].key) <= processes[0]._ttl_seconds


async def test_the_router_functions_share_through_redis_when_it_is_configured(
        redis_client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "redis_url", redis_url)
    reset_all()
    for _ in range(breaker.FAILURE_THRESHOLD):
        await breaker.record_failure("replicate")
    assert breaker.breaker_for("replicate").state is BreakerState.CLOSED, "nothing was kept in this process"
    other = Redis.from_url(redis_url)
    try:
        assert await SharedCircuitBreaker(other, "replicate").state() is BreakerState.OPEN
    finally:
        await other.aclose()
    assert not await breaker.allow("replicate")
    assert await breaker.state_of("replicate") is BreakerState.OPEN


async def test_without_a_reachable_redis_each_process_keeps_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "redis_url", "redis://127.0.0.1:1/0")
    reset_all()
    try:
        for _ in range(breaker.FAILURE_THRESHOLD):
            await breaker.record_failure("gemini")
        assert not await breaker.allow("gemini")
        assert breaker.breaker_for("gemini").state is BreakerState.OPEN
    finally:
        reset_all()
