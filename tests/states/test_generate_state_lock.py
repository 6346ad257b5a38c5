"""The generate page's handlers, run by Reflex's own event processor against the Redis state
manager with a short lock expiration: a submit whose database work waits longer than the lock
lasts must still show its card and no error."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import reflex as rx
from reflex.event import Event
from reflex.istate.data import RouterData
from reflex.istate.manager.redis import StateManagerRedis
from reflex_base.event.context import EventContext
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
from reflex_base.event.processor.event_processor import EventQueueEntry
from reflex_base.registry import RegisteredEventHandler
from redis.asyncio import Redis
from sqlalchemy import Engine, text
from sqlmodel import col, func, select

from dreampixel.core.db import uow
from dreampixel.core.models import Generation
from services.accounts import sessions
from states.generate import GenerateState
from tests.fixtures.engine import Harness, make_user

LOCK_MS = 1500  # the page's lock lapses after this; the database is held longer
HOLD_SECONDS = 3.0


@dataclass
class Page:
    """One browser tab on /generate, as Reflex's event processor serves it."""

    manager: StateManagerRedis
    token: str
    cookie: str
    deltas: list[dict[str, Any]] = field(default_factory=list)
    chained: list[Event] = field(default_factory=list)

    def router_data(self) -> dict[str, Any]:
        return {"headers": {"cookie": self.cookie}, "pathname": "/generate", "asPath": "/generate", "query": {},
                "token": self.token, "sid": "sid", "ip": "127.0.0.1"}

    async def _emit_delta(self, token: str, delta: Any) -> None:
        self.deltas.append(dict(delta))

    async def _enqueue(self, token: str, *events: Event) -> None:
        self.chained.extend(events)

    async def _emit_event(self, token: str, *events: Event) -> None:
        self.chained.extend(events)

    async def send(self, handler_name: str, **payload: Any) -> None:
        """Process one event from this tab the way the websocket server does."""
        ctx = EventContext(token=self.token, state_manager=self.manager, enqueue_impl=self._enqueue,
                           emit_delta_impl=self._emit_delta, emit_event_impl=self._emit_event,
                           router_data=self.router_data())
        EventContext.set(ctx)
        event = Event(name=f"{GenerateState.get_full_name()}.{handler_name}", payload=payload,
                      router_data=self.router_data())
        registered = RegisteredEventHandler(handler=GenerateState.event_handlers[handler_name],
                                            states=(GenerateState,))
        await BaseStateEventProcessor()._execute_event(entry=EventQueueEntry(event=event, ctx=ctx),
                                                       registered_handler=registered)

    async def state(self) -> GenerateState:
        root = await self.manager.get_state(rx.BaseStateToken(ident=self.token, cls=GenerateState))
        found = root.get_substate(GenerateState.get_full_name().split("."))
        assert isinstance(found, GenerateState)
        return found

    def toasts(self) -> list[str]:
        return [str(event.payload) for event in self.chained if "toast" in str(event.payload)]


@pytest.fixture
async def manager(redis_url: str) -> AsyncIterator[StateManagerRedis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    manager = StateManagerRedis(redis=client, lock_expiration=LOCK_MS, lock_warning_threshold=LOCK_MS // 3,
                                oplock_hold_time_ms=LOCK_MS // 3)
    try:
        yield manager
    finally:
        await manager.close()
        await client.flushdb()
        await client.aclose()


async def open_page(manager: StateManagerRedis, user_id: str) -> Page:
    with uow() as session:
        token = sessions.create(session, user_id=user_id, ip="127.0.0.1", user_agent="test")
    page = Page(manager=manager, token=str(uuid.uuid4()), cookie=f"{sessions.SESSION_COOKIE}={token}")
    # The page's tree as the first (hydrating) event leaves it, so later events run as on a live page.
    async with manager.modify_state(rx.BaseStateToken(ident=page.token, cls=rx.State)) as root:
        root.router_data = page.router_data()
        root.router = RouterData.from_router_data(page.router_data())
    return page


@pytest.fixture
def slow_database(live_db: Engine) -> Iterator[Any]:
    """Holds the user's row lock (as a long write does under load) from another connection."""
    threads: list[threading.Thread] = []

    def hold(user_id: str, seconds: float) -> threading.Event:
        taken = threading.Event()

        def run() -> None:
            with live_db.connect() as connection, connection.begin():
                connection.execute(text('SELECT id FROM users WHERE id = :id FOR UPDATE'), {"id": user_id})
                taken.set()
                threading.Event().wait(seconds)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        assert taken.wait(10), "the row lock was not taken"
        return taken

    yield hold
    for thread in threads:
        thread.join(30)


FORM = {"prompt": "a lighthouse at dusk, oil on canvas", "negative_prompt": ""}


def generations_of(user_id: str) -> int:
    with uow() as session:
        return session.exec(select(func.count()).select_from(Generation).where(col(Generation.user_id) == user_id)).one()


async def test_a_submit_slower_than_the_lock_shows_its_card_and_no_error(
    engine: Harness, manager: StateManagerRedis, slow_database: Any
) -> None:
    user_id = make_user(credits=50)
    page = await open_page(manager, user_id)
    slow_database(user_id, HOLD_SECONDS)

    await page.send("submit", form=FORM)  # raises LockExpiredError when the lock spans the wait

    state = await page.state()
    assert len(state.cards) == 1 and state.cards[0].prompt == FORM["prompt"]
    assert not state.busy and state.error == ""
    assert generations_of(user_id) == 1
    assert any(event.name.endswith(".watch") for event in page.chained), "the card is followed by push"
    assert any("busy" in str(delta) for delta in page.deltas), "the spinner showed while queued"


async def test_a_second_submit_while_the_first_waits_queues_nothing_more(
    engine: Harness, manager: StateManagerRedis, slow_database: Any
) -> None:
    user_id = make_user(credits=50)
    page = await open_page(manager, user_id)
    slow_database(user_id, HOLD_SECONDS)

    first = asyncio.create_task(page.send("submit", form=FORM))
    await asyncio.sleep(0.5)  # the first is queued behind the database, its button spinning
    await page.send("submit", form=FORM)
    await first

    assert generations_of(user_id) == 1
    state = await page.state()
    assert len(state.cards) == 1 and not state.busy


async def test_the_page_stays_responsive_while_a_submit_waits(
    engine: Harness, manager: StateManagerRedis, slow_database: Any
) -> None:
    user_id = make_user(credits=50)
    page = await open_page(manager, user_id)
    slow_database(user_id, HOLD_SECONDS)

    submitting = asyncio.create_task(page.send("submit", form=FORM))
    await asyncio.sleep(0.5)
    await asyncio.wait_for(page.send("set_steps", value="20"), timeout=HOLD_SECONDS / 2)
    assert not submitting.done(), "the submit still waits on the database"
    await submitting

    state = await page.state()
    assert state.steps == "20" and len(state.cards) == 1

