"""Status changes pushed to whoever watches: one channel per user.

With REDIS_URL the channel is Redis pub/sub, so an event published by any worker reaches
any app process. Without it, an in-process broker delivers to subscribers on the app's
event loop. Events are published only after the commit that made them true.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
import redis.asyncio as aioredis
from sqlmodel import Session

from dreampixel.core.db import after_commit
from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings

log = get_logger(__name__)

CHANNEL_PREFIX = "dreampixel:events:"
# The admin console's channel: a name no user id can take (those start with "usr_").
ADMIN_CHANNEL = "admin"


def channel(user_id: str) -> str:
    return f"{CHANNEL_PREFIX}{user_id}"


class InProcessBroker:
    """Fan-out to asyncio queues; safe to publish from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]]] = {}

    def publish(self, user_id: str, event: dict[str, Any]) -> int:
        with self._lock:
            targets = list(self._subscribers.get(user_id, ()))
        for loop, queue in targets:
            loop.call_soon_threadsafe(queue.put_nowait, event)
        return len(targets)

    @asynccontextmanager
    async def subscribe(self, user_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[dict[str, Any]]())
        with self._lock:
            self._subscribers.setdefault(user_id, []).append(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._subscribers[user_id].remove(entry)
                if not self._subscribers[user_id]:
                    del self._subscribers[user_id]


broker = InProcessBroker()
_redis_clients: dict[str, redis.Redis] = {}
_redis_lock = threading.Lock()


def _sync_redis(url: str) -> redis.Redis:
    with _redis_lock:
        if url not in _redis_clients:
            _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
        return _redis_clients[url]


def publish(user_id: str, event: dict[str, Any]) -> None:
    """Send `event` to `user_id`'s channel now. Never raises: a lost event is re-read from the database."""
    try:
        if settings.redis_url:
            _sync_redis(settings.redis_url).publish(channel(user_id), json.dumps(event, default=str))
        else:
            broker.publish(user_id, event)
    except Exception:
        log.exception("events.publish_failed", user_id=user_id, type=event.get("type"))


def publish_after_commit(session: Session, user_id: str, event: dict[str, Any]) -> None:
    after_commit(session, lambda: publish(user_id, event))
    # The admin dashboard refreshes its counters on any activity; it needs only the kind.
    publish_admin_after_commit(session, {"type": event.get("type", "")})


def publish_admin_after_commit(session: Session, event: dict[str, Any]) -> None:
    """Tell open admin pages that something they count changed (a generation, a sign-up)."""
    after_commit(session, lambda: publish(ADMIN_CHANNEL, event))


@asynccontextmanager
async def subscribe(user_id: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """`async with subscribe(uid) as events: async for event in events: ...`"""
    if settings.redis_url:
        client = aioredis.Redis.from_url(settings.redis_url)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel(user_id))
        try:
            yield _redis_events(pubsub)
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()
            await client.aclose()
    else:
        async with broker.subscribe(user_id) as queue:
            yield _queue_events(queue)


async def _redis_events(pubsub: aioredis.client.PubSub) -> AsyncIterator[dict[str, Any]]:
    async for message in pubsub.listen():
        if message.get("type") == "message":
            yield json.loads(message["data"])


async def _queue_events(queue: asyncio.Queue[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    while True:
        yield await queue.get()
