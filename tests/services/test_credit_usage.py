"""The credit ledger page by page and generations per UTC day, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from dreampixel.core.models import Generation, GenerationStatus, LedgerReason, User
from services.credits import service as credits
from services.credits import usage
from tests.factories import create_generation, create_user

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def _hold_for_generations(session: Session, user: User, count: int) -> list[str]:
    """`count` generations, each holding one credit as submit does; returns their ids, oldest first."""
    ids = []
    for _ in range(count):
        generation = create_generation(session, user, credits_held=1)
        credits.debit(session, user_id=user.id, amount=1, reason=LedgerReason.HOLD, reference=generation.id)
        ids.append(generation.id)
    return ids


@BOTH
def test_the_ledger_is_newest_first_with_the_balance_after_each_change(session: Session) -> None:
    user = create_user(session)
    credits.grant(session, user_id=user.id, amount=10, reference="signup")
    [generation_id] = _hold_for_generations(session, user, 1)
    credits.grant(session, user_id=user.id, amount=1, reason=LedgerReason.RELEASE, reference=generation_id)

    entries, next_cursor = usage.ledger_page(session, user_id=user.id)

    assert [(e.delta, e.reason, e.balance_after) for e in entries] == [
        (1, LedgerReason.RELEASE, 10),
        (-1, LedgerReason.HOLD, 9),
        (10, LedgerReason.GRANT, 10),
    ]
    assert [e.reference for e in entries] == [generation_id, generation_id, "signup"]
    assert all(e.created_at.tzinfo is not None for e in entries)
    assert next_cursor is None


@BOTH
def test_following_the_cursor_visits_every_row_once(session: Session) -> None:
    user = create_user(session)
    credits.grant(session, user_id=user.id, amount=10)
    _hold_for_generations(session, user, 6)

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        entries, cursor = usage.ledger_page(session, user_id=user.id, cursor=cursor, limit=3)
        seen += [e.id for e in entries]
        pages += 1
        if cursor is None:
            break

    assert pages == 3 and len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


@BOTH
def test_only_the_users_own_existing_generations_get_a_generation_id(session: Session) -> None:
    alice, bob = create_user(session), create_user(session)
    credits.grant(session, user_id=alice.id, amount=5)
    [kept, deleted] = _hold_for_generations(session, alice, 2)
    bobs = create_generation(session, bob)
    # A reference naming someone else's generation (never written by the app) must not link to it.
    credits.grant(session, user_id=alice.id, amount=1, reason=LedgerReason.ADJUSTMENT, reference=bobs.id)
    session.delete(session.get(Generation, deleted))
    session.flush()

    entries, _ = usage.ledger_page(session, user_id=alice.id)

    links = {e.reference: e.generation_id for e in entries}
    assert links[kept] == kept
    assert links[deleted] is None
    assert links[bobs.id] is None


@BOTH
def test_another_users_ledger_rows_never_appear(session: Session) -> None:
    alice, bob = create_user(session), create_user(session)
    credits.grant(session, user_id=alice.id, amount=3)
    credits.grant(session, user_id=bob.id, amount=7)

    entries, _ = usage.ledger_page(session, user_id=bob.id)

    assert [(e.delta, e.balance_after) for e in entries] == [(7, 7)]


@BOTH
def test_daily_usage_has_one_entry_per_day_for_thirty_days_zeros_included(session: Session) -> None:
    user = create_user(session)

    days = usage.daily_usage(session, user_id=user.id, now=NOW)

    assert len(days) == 30
    assert days[0].day == date(2026, 10, 26) and days[-1].day == date(2026, 11, 24)
    assert [d.day for d in days] == [date(2026, 10, 26) + timedelta(days=i) for i in range(30)]
    assert all(d.total == 0 and d.credits_spent == 0 for d in days)


@BOTH
def test_daily_usage_splits_statuses_and_sums_the_credits_charged(session: Session) -> None:
    user = create_user(session)
    today = NOW - timedelta(hours=1)
    create_generation(session, user, created_at=today, status=GenerationStatus.SUCCEEDED, credits_charged=2)
    create_generation(session, user, created_at=today, status=GenerationStatus.SUCCEEDED, credits_charged=1)
    for status in (GenerationStatus.FAILED, GenerationStatus.EXPIRED, GenerationStatus.CANCELED):
        create_generation(session, user, created_at=today, status=status)
    create_generation(session, user, created_at=today, status=GenerationStatus.PROCESSING)
    create_generation(
        session, user, created_at=NOW - timedelta(days=3), status=GenerationStatus.SUCCEEDED, credits_charged=4
    )

    days = {d.day: d for d in usage.daily_usage(session, user_id=user.id, now=NOW)}

    assert (days[NOW.date()].succeeded, days[NOW.date()].failed, days[NOW.date()].in_progress) == (2, 3, 1)
    assert days[NOW.date()].credits_spent == 3
    three_days_ago = days[(NOW - timedelta(days=3)).date()]
    assert (three_days_ago.succeeded, three_days_ago.credits_spent) == (1, 4)
    assert sum(d.total for d in days.values()) == 7


@BOTH
def test_days_are_utc_days_whatever_offset_a_time_was_written_with(session: Session) -> None:
    user = create_user(session)
    # 00:30 on Nov 24 in UTC+02:00 is 22:30 on Nov 23 in UTC.
    plus_two = timezone(timedelta(hours=2))
    create_generation(
        session, user, created_at=datetime(2026, 11, 24, 0, 30, tzinfo=plus_two), status=GenerationStatus.SUCCEEDED
    )
    create_generation(
        session, user, created_at=datetime(2026, 11, 24, 0, 0, tzinfo=UTC), status=GenerationStatus.FAILED
    )

    days = {d.day: d for d in usage.daily_usage(session, user_id=user.id, now=NOW)}

    assert (days[date(2026, 11, 23)].succeeded, days[date(2026, 11, 23)].failed) == (1, 0)
    assert (days[date(2026, 11, 24)].succeeded, days[date(2026, 11, 24)].failed) == (0, 1)


@BOTH
def test_daily_usage_leaves_out_older_generations_and_other_users(session: Session) -> None:
    alice, bob = create_user(session), create_user(session)
    first_day = datetime(2026, 10, 26, tzinfo=UTC)
    create_generation(session, alice, created_at=first_day - timedelta(seconds=1), status=GenerationStatus.SUCCEEDED)
    create_generation(session, alice, created_at=first_day, status=GenerationStatus.SUCCEEDED)
    create_generation(session, bob, created_at=NOW, status=GenerationStatus.SUCCEEDED)

    days = usage.daily_usage(session, user_id=alice.id, now=NOW)

    assert days[0].succeeded == 1
    assert sum(d.total for d in days) == 1


def test_the_window_is_bounded(session: Session) -> None:
    user = create_user(session)
    assert len(usage.daily_usage(session, user_id=user.id, days=10_000, now=NOW)) == usage.MAX_DAYS
    assert len(usage.daily_usage(session, user_id=user.id, days=0, now=NOW)) == 1


def test_the_summary_totals_its_days(session: Session) -> None:
    user = create_user(session)
    create_generation(session, user, created_at=NOW - timedelta(hours=1), status=GenerationStatus.SUCCEEDED,
                      credits_charged=2)
    create_generation(session, user, created_at=NOW - timedelta(days=2), status=GenerationStatus.FAILED)
    create_generation(session, user, created_at=NOW - timedelta(days=2), status=GenerationStatus.QUEUED)

    summary = usage.summary(session, user_id=user.id, days=7, now=NOW)

    assert len(summary.days) == 7 and summary.days[-1].day == NOW.date()
    assert summary.totals == usage.UsageTotals(generations=3, succeeded=1, failed=1, in_progress=1, credits_spent=2)
