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
from states.edge import generation as edge
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


def card_statuses(tab: Tab) -> list[str]:
    """The newest card's status in every update the tab received, repeats dropped."""
    seen: list[str] = []
    for delta in tab.deltas:
        for values in delta.values():
            for name, cards in values.items():
                if not name.startswith("cards") or not cards:
                    continue
                newest = cards[0]
                status = newest["status"] if isinstance(newest, dict) else newest.status
                if not seen or seen[-1] != status:
                    seen.append(status)
    return seen


async def test_a_slow_submit_shows_its_card_queued_first_then_each_pushed_step_in_order(
    engine: Harness, state_manager: StateManagerRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's watcher hears of the new generation before the submit has shown it; without the
    lock around the whole submit, the steps must still appear in order and never go back."""
    user_id = make_user(credits=50)
    tab = await open_generate(state_manager, user_id)
    watcher = asyncio.create_task(tab.send(GenerateState, "watch"))
    real_submit = edge.submit

    def submit_then_stall(*args: object, **kwargs: object) -> object:
        card = real_submit(*args, **kwargs)  # type: ignore[arg-type]
        threading.Event().wait(1.0)  # the job runs and its events arrive meanwhile
        return card

    monkeypatch.setattr(edge, "submit", submit_then_stall)
    try:
        await asyncio.sleep(0.3)  # the watcher is subscribed
        await tab.send(GenerateState, "submit", form=FORM)
        await engine.settle()
        for _ in range(50):
            if card_statuses(tab)[-1:] == ["succeeded"]:
                break
            await asyncio.sleep(0.1)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

    statuses = card_statuses(tab)
    assert statuses[0] == "queued", statuses
    assert statuses[-1] == "succeeded", statuses
    assert statuses == sorted(statuses, key=["queued", "processing", "succeeded"].index), "never back a step"
    assert (await tab.state(GenerateState)).cards[0].status == "succeeded"
