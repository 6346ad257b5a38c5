"""Fixtures for state tests that run handlers through Reflex's event processor."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from reflex.istate.manager.redis import StateManagerRedis

from tests.fixtures.reflex_events import redis_state_manager


@pytest.fixture
async def state_manager(redis_url: str) -> AsyncIterator[StateManagerRedis]:
    """Reflex's Redis state manager with a short lock expiration, on an emptied database."""
    client = Redis.from_url(redis_url)
    await client.flushdb()
    manager = redis_state_manager(client)
    try:
        yield manager
    finally:
        await manager.close()
        await client.flushdb()
        await client.aclose()
