"""Rate limits: the two backends decide alike, and the API reports and enforces them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
import redis
from sqlalchemy import Engine

from dreampixel.api.app import create_api
from dreampixel.core.db import uow
from dreampixel.core.models import GenerationStatus, Tier
from dreampixel.core.settings import settings
from services import ratelimit
from services.api_keys import service as api_keys
from services.credits import service as credits
from services.ratelimit import Decision, Limiter, MemoryLimiter, RedisLimiter
from services.storage import reset_storage_cache
from tests.factories import create_generation, create_user
from tests.fixtures.processes import free_port
from workers import in_process

PROBLEM = "application/problem+json"


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest, clock: FakeClock) -> Limiter:
    if request.param == "memory":
        return MemoryLimiter(clock=clock)
    client: redis.Redis = request.getfixturevalue("redis_client")
    return RedisLimiter(client, clock=clock)


def hits(limiter: Limiter, key: str, count: int, *, limit: int = 3, window: int = 60) -> list[Decision]:
    return [limiter.hit(key, limit, window) for _ in range(count)]


# ---- the limiter itself -----------------------------------------------------------------


def test_both_backends_give_the_same_decisions(clock: FakeClock, redis_client: redis.Redis) -> None:
    memory = hits(MemoryLimiter(clock=clock), "same", 5)
    shared = hits(RedisLimiter(redis_client, clock=clock), "same", 5)
    assert memory == shared
    assert [d.allowed for d in memory] == [True, True, True, False, False]
    assert [d.remaining for d in memory] == [2, 1, 0, 0, 0]
    assert all(d.limit == 3 and 1 <= d.reset_seconds <= 60 for d in memory)


def test_redis_keys_are_namespaced_and_expire(clock: FakeClock, redis_client: redis.Redis) -> None:
    RedisLimiter(redis_client, clock=clock).hit("api:usr_1", 3, 60)
    [key] = cast("list[bytes]", redis_client.keys("*"))
    assert key.decode().startswith("dreampixel:rl:api:usr_1:")
    # Kept while it is the current window or the previous one.
    assert 60 < cast(int, redis_client.ttl(key)) <= 121


def test_the_window_resets_when_the_clock_passes_it(limiter: Limiter, clock: FakeClock) -> None:
    *_, refused = hits(limiter, "reset", 4)
    assert not refused.allowed
    clock.advance(refused.reset_seconds - 1)
    assert not limiter.hit("reset", 3, 60).allowed
    clock.advance(1)
    assert limiter.hit("reset", 3, 60).allowed


def test_the_whole_budget_is_back_after_two_quiet_windows(limiter: Limiter, clock: FakeClock) -> None:
    hits(limiter, "quiet", 4)
    clock.advance(120)
    assert limiter.hit("quiet", 3, 60).remaining == 2


def test_a_burst_at_a_window_edge_does_not_get_twice_the_limit(limiter: Limiter, clock: FakeClock) -> None:
    first = limiter.hit("edge", 3, 60)
    clock.advance(first.reset_seconds - 1)  # the last second of the window
    assert [d.allowed for d in hits(limiter, "edge", 2)] == [True, True]
    clock.advance(2)  # a fixed window would now allow 3 more
    assert [d.allowed for d in hits(limiter, "edge", 3)] == [False, False, False]


def test_refused_hits_are_not_counted(limiter: Limiter, clock: FakeClock) -> None:
    *_, refused = hits(limiter, "patient", 10)
    clock.advance(refused.reset_seconds)
    assert limiter.hit("patient", 3, 60).allowed


def test_keys_are_counted_apart(limiter: Limiter) -> None:
    hits(limiter, "a", 4)
    assert limiter.hit("b", 3, 60).remaining == 2


def test_a_peek_does_not_count(limiter: Limiter) -> None:
    hits(limiter, "peek", 2)
    peeked = limiter.peek("peek", 3, 60)
    assert (peeked.allowed, peeked.remaining) == (True, 1)
    assert limiter.peek("peek", 3, 60).remaining == 1
    limiter.hit("peek", 3, 60)
    assert not limiter.peek("peek", 3, 60).allowed


def test_sign_in_failures_are_throttled_after_twenty_per_address(clock: FakeClock) -> None:
    ratelimit.set_limiter(MemoryLimiter(clock=clock))
    try:
        for _ in range(19):
            assert ratelimit.record_failure("203.0.113.9").allowed
        assert ratelimit.throttle_failures("203.0.113.9").allowed
        last = ratelimit.record_failure("203.0.113.9")
        assert not last.allowed and last.remaining == 0
        assert not ratelimit.throttle_failures("203.0.113.9").allowed
        assert ratelimit.throttle_failures("198.51.100.1").allowed
        clock.advance(last.reset_seconds)
        assert ratelimit.throttle_failures("203.0.113.9").allowed
    finally:
        ratelimit.set_limiter(None)


def test_limits_differ_per_tier_and_generation_creation_gets_a_tenth() -> None:
    assert [ratelimit.api_limit(t.value) for t in Tier] == [(100, 900), (1000, 900), (10_000, 900)]
    assert [ratelimit.generation_create_limit(t.value) for t in Tier] == [(10, 900), (100, 900), (1000, 900)]


def test_the_configured_backend_follows_the_settings(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    ratelimit.set_limiter(None)
    monkeypatch.setattr(settings, "redis_url", "")
    assert isinstance(ratelimit.get_limiter(), MemoryLimiter)
    monkeypatch.setattr(settings, "redis_url", redis_url)
    assert isinstance(ratelimit.get_limiter(), RedisLimiter)
    monkeypatch.setattr(settings, "redis_url", "")
    assert isinstance(ratelimit.get_limiter(), MemoryLimiter)


# ---- through the API ----------------------------------------------------------------------


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "api_rate_limit_free", 4)
    monkeypatch.setattr(settings, "api_rate_limit_pro", 6)
    monkeypatch.setattr(settings, "api_rate_limit_enterprise", 8)
    monkeypatch.setattr(settings, "api_rate_limit_window_seconds", 60)


@pytest.fixture(params=["memory", "redis"])
def api_limiter(request: pytest.FixtureRequest, clock: FakeClock, small_limits: None) -> Iterator[Limiter]:
    chosen = (MemoryLimiter(clock=clock) if request.param == "memory"
              else RedisLimiter(request.getfixturevalue("redis_client"), clock=clock))
    ratelimit.set_limiter(chosen)
    yield chosen
    ratelimit.set_limiter(None)


@pytest.fixture
async def api(live_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              api_limiter: Limiter) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    reset_storage_cache()
    queue = await in_process.start(reap_every=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()),
                                 base_url="http://dreampixel.test") as http:
        yield http
    await in_process.stop(queue)
    reset_storage_cache()


def new_key(tier: Tier) -> str:
    with uow() as session:
        owner = create_user(session, tier=tier)
        credits.grant(session, user_id=owner.id, amount=50)
        return api_keys.create_key(session, user_id=owner.id, name="test")[1]


async def key_for(tier: Tier = Tier.FREE) -> dict[str, str]:
    return {"x-api-key": await asyncio.to_thread(new_key, tier)}


def limits(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return int(h["ratelimit-limit"]), int(h["ratelimit-remaining"]), int(h["ratelimit-reset"])


async def test_every_response_carries_the_headers_errors_included(api: httpx.AsyncClient) -> None:
    key = await key_for()
    listed = await api.get("/api/v1/generations", headers=key)
    missing = await api.get("/api/v1/generations/gen_nothing", headers=key)
    invalid = await api.post("/api/v1/generations/estimate", headers=key, json={"width": "wide"})
    assert (listed.status_code, missing.status_code, invalid.status_code) == (200, 404, 422)
    assert [limits(r)[:2] for r in (listed, missing, invalid)] == [(4, 3), (4, 2), (4, 1)]
    assert all(0 < limits(r)[2] <= 60 for r in (listed, missing, invalid))


async def test_a_missing_scope_is_counted_and_reported_too(api: httpx.AsyncClient) -> None:
    def read_only_key() -> str:
        with uow() as session:
            owner = create_user(session)
            return api_keys.create_key(session, user_id=owner.id, name="ro", scopes=["images:read"])[1]

    refused = await api.get("/api/v1/generations", headers={"x-api-key": await asyncio.to_thread(read_only_key)})
    assert refused.status_code == 403 and limits(refused)[:2] == (4, 3)


async def test_over_the_limit_is_a_429_problem_with_retry_after(api: httpx.AsyncClient) -> None:
    key = await key_for()
    for _ in range(4):
        assert (await api.get("/api/v1/generations", headers=key)).status_code == 200
    refused = await api.get("/api/v1/generations", headers=key)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM and refused.json()["code"] == "rate_limited"
    limit, remaining, reset = limits(refused)
    assert (limit, remaining) == (4, 0)
    # Past this window's end at most: by then enough of the full window has slid out.
    assert refused.headers["retry-after"] == str(reset) and 0 < reset <= 60 + 60 // 4


async def test_the_api_window_resets_with_the_clock(api: httpx.AsyncClient, clock: FakeClock) -> None:
    key = await key_for()
    for _ in range(5):
        await api.get("/api/v1/generations", headers=key)
    refused = await api.get("/api/v1/generations", headers=key)
    assert refused.status_code == 429
    clock.advance(int(refused.headers["retry-after"]))
    again = await api.get("/api/v1/generations", headers=key)
    assert again.status_code == 200 and limits(again)[0] == 4


async def test_limits_follow_the_owners_tier(api: httpx.AsyncClient) -> None:
    for tier, allowed in ((Tier.FREE, 4), (Tier.PRO, 6), (Tier.ENTERPRISE, 8)):
        key = await key_for(tier)
        statuses = [(await api.get("/api/v1/generations", headers=key)).status_code for _ in range(allowed + 1)]
        assert statuses == [200] * allowed + [429], tier


async def test_each_owner_has_their_own_budget(api: httpx.AsyncClient) -> None:
    first, second = await key_for(), await key_for()
    for _ in range(5):
        await api.get("/api/v1/generations", headers=first)
    assert (await api.get("/api/v1/generations", headers=second)).status_code == 200


async def test_creating_generations_has_its_own_smaller_limit(api: httpx.AsyncClient,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "api_rate_limit_pro", 20)  # so two creations per window
    key = await key_for(Tier.PRO)
    body = {"prompt": "a lighthouse on a cliff", "width": 512, "height": 512}
    first = await api.post("/api/v1/generations", headers=key, json=body)
    second = await api.post("/api/v1/generations", headers=key, json=body)
    third = await api.post("/api/v1/generations", headers=key, json=body)
    assert (first.status_code, second.status_code, third.status_code) == (202, 202, 429)
    assert limits(first)[:2] == (2, 1) and limits(third)[:2] == (2, 0)
    assert third.json()["code"] == "rate_limited" and third.headers["retry-after"] == str(limits(third)[2])
    # Reading still works: only creation is spent, the request budget is not.
    listed = await api.get("/api/v1/generations", headers=key)
    assert listed.status_code == 200 and limits(listed)[:2] == (20, 16)


async def test_unauthenticated_routes_carry_no_rate_limit_headers(api: httpx.AsyncClient) -> None:
    refused = await api.get("/api/v1/generations", headers={"x-api-key": "dp_live_nope"})
    assert refused.status_code == 401 and "ratelimit-limit" not in refused.headers


async def test_a_retry_counts_as_creating_a_generation(api: httpx.AsyncClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "api_rate_limit_free", 10)  # one creation per window

    def failed_generation_and_key() -> tuple[str, str]:
        with uow() as session:
            owner = create_user(session)
            credits.grant(session, user_id=owner.id, amount=5)
            failed = create_generation(session, owner, status=GenerationStatus.FAILED)
            return failed.id, api_keys.create_key(session, user_id=owner.id, name="test")[1]

    failed_id, plaintext = await asyncio.to_thread(failed_generation_and_key)
    key = {"x-api-key": plaintext}
    first = await api.post(f"/api/v1/generations/{failed_id}/retry", headers=key)
    second = await api.post(f"/api/v1/generations/{failed_id}/retry", headers=key)
    assert (first.status_code, second.status_code) == (202, 429)
    assert limits(second)[:2] == (1, 0)


def test_an_unreachable_redis_fails_open(clock: FakeClock) -> None:
    unreachable = redis.Redis(port=free_port(), socket_connect_timeout=0.2)
    decision = RedisLimiter(unreachable, clock=clock).hit("down", 3, 60)
    assert decision.allowed and decision.limit == 3
