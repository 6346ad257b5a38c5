"""The generate page's handlers, run by Reflex's own event processor against the Redis state
manager with a short lock expiration: a submit whose database work waits longer than the lock
lasts must still show its card and no error (before, Reflex raised LockExpiredError and the
page said "An error occurred." although the generation was queued)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest
from reflex.istate.manager.redis import StateManagerRedis
from sqlalchemy import Engine, text
from sqlmodel import col, func, select

from dreampixel.core.db import uow
from dreampixel.core.models import Generation
from states.generate import GenerateState
from tests.fixtures.engine import Harness, make_user
from tests.fixtures.reflex_events import LOCK_MS, Tab, signed_in

HOLD_SECONDS = 2 * LOCK_MS / 1000  # the database waits twice as long as the page's lock lasts
FORM = {"prompt": "a lighthouse at dusk, oil on canvas", "negative_prompt": ""}

Hold = Callable[[str, float], None]


@pytest.fixture
def slow_database(live_db: Engine) -> Iterator[Hold]:
    """Holds a user's row lock from another connection, as a long write does under load."""
    threads: list[threading.Thread] = []

    def hold(user_id: str, seconds: float) -> None:
        taken = threading.Event()

        def run() -> None:
            with live_db.connect() as connection, connection.begin():
                connection.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": user_id})
                taken.set()
                threading.Event().wait(seconds)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        assert taken.wait(10), "the row lock was not taken"

    yield hold
    for thread in threads:
        thread.join(30)


def generations_of(user_id: str) -> int:
    with uow() as session:
        return session.exec(select(func.count()).select_from(Generation)
                            .where(col(Generation.user_id) == user_id)).one()


async def open_generate(state_manager: StateManagerRedis, user_id: str) -> Tab:
    return await Tab(manager=state_manager, path="/generate", cookie=signed_in(user_id)).open()


async def test_a_submit_slower_than_the_lock_shows_its_card_and_no_error(
    engine: Harness, state_manager: StateManagerRedis, slow_database: Hold
) -> None:
    user_id = make_user(credits=50)
    tab = await open_generate(state_manager, user_id)
    slow_database(user_id, HOLD_SECONDS)

    await tab.send(GenerateState, "submit", form=FORM)  # raised LockExpiredError when the lock spanned the wait

    state = await tab.state(GenerateState)
    assert len(state.cards) == 1 and state.cards[0].prompt == FORM["prompt"]
    assert not state.busy and state.error == ""
    assert generations_of(user_id) == 1
    assert "watch" in tab.sent(), "the card is then followed by push"
    assert any("busy" in str(delta) for delta in tab.deltas), "the button showed its spinner while queued"


async def test_a_second_submit_while_the_first_waits_queues_nothing_more(
    engine: Harness, state_manager: StateManagerRedis, slow_database: Hold
) -> None:
    user_id = make_user(credits=50)
    tab = await open_generate(state_manager, user_id)
    slow_database(user_id, HOLD_SECONDS)

    first = asyncio.create_task(tab.send(GenerateState, "submit", form=FORM))
    await asyncio.sleep(0.5)  # the first waits behind the database, its button spinning
    await tab.send(GenerateState, "submit", form=FORM)
    await first

    assert generations_of(user_id) == 1
    state = await tab.state(GenerateState)
    assert len(state.cards) == 1 and not state.busy


async def test_the_page_answers_other_events_while_a_submit_waits(
    engine: Harness, state_manager: StateManagerRedis, slow_database: Hold
) -> None:
    user_id = make_user(credits=50)
    tab = await open_generate(state_manager, user_id)
    slow_database(user_id, HOLD_SECONDS)

    submitting = asyncio.create_task(tab.send(GenerateState, "submit", form=FORM))
    await asyncio.sleep(0.5)
    await asyncio.wait_for(tab.send(GenerateState, "set_steps", value="20"), timeout=HOLD_SECONDS / 2)
    assert not submitting.done(), "the submit still waits on the database"
    await submitting

    state = await tab.state(GenerateState)
    assert state.steps == "20" and len(state.cards) == 1
