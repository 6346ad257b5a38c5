"""The per-user event channel: in-process without Redis, Redis pub/sub with it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import Session

from dreampixel.core.db import uow
from dreampixel.core.settings import settings
from services.events import service as events


@pytest.fixture(params=["in-process", "redis"])
def channel_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    monkeypatch.setattr(settings, "redis_url", url)
    return str(request.param)


async def collect(user_id: str, count: int, ready: asyncio.Event) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    async with events.subscribe(user_id) as stream:
        ready.set()
        async for event in stream:
            received.append(event)
            if len(received) == count:
                return received
    return received


async def subscribed(user_id: str, count: int) -> asyncio.Task[list[dict[str, Any]]]:
    ready = asyncio.Event()
    task = asyncio.create_task(collect(user_id, count, ready))
    await ready.wait()
    await asyncio.sleep(0.05)  # Redis confirms a SUBSCRIBE asynchronously
    return task


async def test_events_reach_the_users_subscribers_only(channel_backend: str) -> None:
    alice = await subscribed("usr_alice", 2)
    bob = await subscribed("usr_bob", 1)
    await asyncio.to_thread(events.publish, "usr_alice", {"type": "generation.queued", "n": 1})
    await asyncio.to_thread(events.publish, "usr_bob", {"type": "generation.queued", "n": 2})
    await asyncio.to_thread(events.publish, "usr_alice", {"type": "generation.succeeded", "n": 3})
    assert [e["n"] for e in await asyncio.wait_for(alice, 5)] == [1, 3]
    assert [e["n"] for e in await asyncio.wait_for(bob, 5)] == [2]


async def test_events_are_published_only_after_the_commit(channel_backend: str, session: Session) -> None:
    watcher = await subscribed("usr_carol", 1)

    def rolled_back() -> None:
        with uow() as work:
            events.publish_after_commit(work, "usr_carol", {"type": "generation.queued", "n": "lost"})
            raise RuntimeError("the request failed")

    def committed() -> None:
        with uow() as work:
            events.publish_after_commit(work, "usr_carol", {"type": "generation.queued", "n": "kept"})

    with pytest.raises(RuntimeError):
        await asyncio.to_thread(rolled_back)
    await asyncio.to_thread(committed)
    assert [e["n"] for e in await asyncio.wait_for(watcher, 5)] == ["kept"]


async def test_a_publish_with_nobody_listening_is_harmless(channel_backend: str) -> None:
    await asyncio.to_thread(events.publish, "usr_nobody", {"type": "generation.queued"})
