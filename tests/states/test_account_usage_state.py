"""The account page's usage handlers: the caller's own numbers and ledger, as display values."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, event

from dreampixel.core.db import uow
from dreampixel.core.models import GenerationStatus, LedgerReason
from services.accounts import sessions
from services.credits import service as credits
from states.account import AccountState
from states.edge import credits as credit_edge
from states.edge.accounts import Viewer
from states.edge.credits import LEDGER_PAGE
from tests.factories import create_generation, create_user
from tests.states.test_state_authorization import call, state_for

HOLDS = 12  # more than one page of the ledger


@pytest.fixture
def people(live_db: Engine) -> dict[str, str]:
    """Alice with 12 generations (one failed and released), Bob with nothing but his welcome credits."""
    with uow() as session:
        alice, bob = create_user(session, name="Alice"), create_user(session, name="Bob")
        credits.grant(session, user_id=alice.id, amount=50, reference="signup")
        credits.grant(session, user_id=bob.id, amount=5, reference="signup")
        for index in range(HOLDS):
            failed = index == 0
            generation = create_generation(
                session,
                alice,
                status=GenerationStatus.FAILED if failed else GenerationStatus.SUCCEEDED,
                credits_held=1,
                credits_charged=0 if failed else 1,
            )
            credits.debit(session, user_id=alice.id, amount=1, reason=LedgerReason.HOLD, reference=generation.id)
            if failed:
                credits.grant(session, user_id=alice.id, amount=1, reason=LedgerReason.RELEASE, reference=generation.id)
        return {
            "alice_token": sessions.create(session, user_id=alice.id, ip="127.0.0.1", user_agent="test"),
            "bob_token": sessions.create(session, user_id=bob.id, ip="127.0.0.1", user_agent="test"),
        }


async def test_loading_shows_the_balance_the_chart_and_the_newest_ledger_page(people: dict[str, str]) -> None:
    alice = state_for(people["alice_token"])

    await call(AccountState.load_usage, alice)

    assert alice.usage_ready and alice.credit_balance == 39
    assert alice.daily_used == 11 and alice.daily_limit == 1  # a FREE account: failed ones do not count
    assert len(alice.usage_days) == 30 and alice.usage_days[-1]["succeeded"] == 11
    assert alice.usage_days[-1]["failed"] == 1 and alice.credits_spent == 11
    assert alice.usage_summary == "12 generations in the last 30 days: 11 succeeded, 1 failed or canceled."
    assert len(alice.ledger) == LEDGER_PAGE and alice.ledger_has_more
    newest = alice.ledger[0]
    assert (newest["change"], newest["reason"], newest["balance"]) == ("-1", "Charged for a generation", "39")
    assert newest["generation_href"].startswith("/gallery?generation=gen_")


async def test_show_more_appends_the_older_rows_once(people: dict[str, str]) -> None:
    alice = state_for(people["alice_token"])
    await call(AccountState.load_usage, alice)

    await call(AccountState.show_more_ledger, alice)
    await call(AccountState.show_more_ledger, alice)  # nothing left: changes nothing

    assert not alice.ledger_has_more
    assert len(alice.ledger) == HOLDS + 2 == len({row["id"] for row in alice.ledger})
    oldest = alice.ledger[-1]
    assert (oldest["change"], oldest["reason"], oldest["balance"], oldest["gained"]) == (
        "+50",
        "Welcome credits",
        "50",
        "1",
    )
    assert oldest["generation_href"] == ""


async def test_another_person_sees_only_their_own_usage(people: dict[str, str]) -> None:
    bob = state_for(people["bob_token"])

    await call(AccountState.load_usage, bob)
    await call(AccountState.show_more_ledger, bob)

    assert bob.credit_balance == 5 and bob.usage_total == 0 and bob.credits_spent == 0
    assert [row["change"] for row in bob.ledger] == ["+5"] and not bob.ledger_has_more
    assert bob.usage_summary == "0 generations in the last 30 days."


async def test_a_signed_out_caller_gets_nothing(people: dict[str, str]) -> None:
    stranger = state_for(None)

    await call(AccountState.load_usage, stranger)
    await call(AccountState.show_more_ledger, stranger)

    assert not stranger.usage_ready and stranger.ledger == [] and stranger.credit_balance == 0


async def test_forgetting_the_page_drops_the_usage_too(people: dict[str, str]) -> None:
    alice = state_for(people["alice_token"])
    await call(AccountState.load_usage, alice)

    alice.forget()

    assert not alice.usage_ready and alice.ledger == [] and alice.usage_days == [] and alice.credit_balance == 0


async def test_a_holds_row_says_what_became_of_its_generation(people: dict[str, str]) -> None:
    alice = state_for(people["alice_token"])
    await call(AccountState.load_usage, alice)
    await call(AccountState.show_more_ledger, alice)

    holds = [row["reason"] for row in alice.ledger if row["change"] == "-1"]
    assert holds.count("Charged for a generation") == HOLDS - 1
    assert holds.count("Held, then returned") == 1  # the failed one, whose credits came back
    assert "Held for a generation" not in holds


async def test_a_running_generations_hold_says_it_is_still_held(live_db: Engine) -> None:
    with uow() as session:
        carol = create_user(session, name="Carol")
        credits.grant(session, user_id=carol.id, amount=5, reference="signup")
        generation = create_generation(session, carol, status=GenerationStatus.PROCESSING, credits_held=2)
        credits.debit(session, user_id=carol.id, amount=2, reason=LedgerReason.HOLD, reference=generation.id)
        token = sessions.create(session, user_id=carol.id, ip="127.0.0.1", user_agent="test")
    carol_state = state_for(token)

    await call(AccountState.load_usage, carol_state)

    assert carol_state.ledger[0]["reason"] == "Held for a running generation"


def test_a_ledger_page_reads_its_generations_in_one_query(people: dict[str, str], live_db: Engine) -> None:
    with uow() as session:
        alice_id = sessions.resolve(session, people["alice_token"])[1].id  # type: ignore[index]
    viewer = Viewer(user_id=alice_id, session_id="", name="Alice", email="", role="user", verified=True)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(live_db, "before_cursor_execute", count)
    try:
        page = credit_edge.ledger(viewer, limit=HOLDS + 2)
    finally:
        event.remove(live_db, "before_cursor_execute", count)

    assert sum(row.change == "-1" for row in page.rows) == HOLDS
    # The ledger page, which references are still generations, and those generations: three
    # queries whatever the page's length.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3
