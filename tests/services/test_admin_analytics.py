"""The analytics tables on hand-built data whose triangle, funnel and provider figures are known,
on SQLite and PostgreSQL; and the counts that submits keep agree with a recount from scratch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from dreampixel.core.models import (
    CreditLedger,
    GenerationCreate,
    GenerationStatus,
    Invoice,
    LedgerReason,
    ProviderDailyStat,
    Tier,
    User,
    UserActiveWeek,
    UserActivity,
)
from services.admin import analytics
from services.credits import service as credits
from services.generation import service as generations
from tests.factories import create_generation, create_user

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
# A Wednesday: this week began on Monday 30 November.
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def world(session: Session, *, kept_by_submits: bool) -> dict[str, User]:
    """Sign-up weeks of 16, 23 and 30 November, with these generations:

    A (17 Nov): five, in weeks 0, 0, 0, 1 and 2, and a credit pack bought
    B (20 Nov): one in week 0          C (22 Nov, unverified): none
    D (24 Nov): one in week 1          E (30 Nov): five in week 0, and a paid invoice
    F (10 Nov, before the period): one on 18 Nov
    """
    users = {
        "A": create_user(session, created_at=at("2026-11-17")),
        "B": create_user(session, created_at=at("2026-11-20")),
        "C": create_user(session, created_at=at("2026-11-22", 23), email_verified_at=None),
        "D": create_user(session, created_at=at("2026-11-24")),
        "E": create_user(session, created_at=at("2026-11-30", 1)),
        "F": create_user(session, created_at=at("2026-11-10")),
    }
    made = [("A", "2026-11-18"), ("A", "2026-11-19"), ("A", "2026-11-19"), ("A", "2026-11-25"), ("A", "2026-12-01"),
            ("B", "2026-11-20"), ("D", "2026-12-02"), *[("E", "2026-11-30")] * 5, ("F", "2026-11-18")]
    for hour, (who, day) in enumerate(made):
        moment = at(day, hour % 24)
        create_generation(session, users[who], created_at=moment)
        if kept_by_submits:
            analytics.record_submission(session, user=users[who], at=moment)
    if not kept_by_submits:
        analytics.rebuild(session)
    session.add(CreditLedger(user_id=users["A"].id, delta=100, reason=LedgerReason.PURCHASE,
                             reference="checkout:cs_1", balance_after=100))
    session.add(Invoice(user_id=users["E"].id, stripe_invoice_id="in_1", amount_paid=1900, status="paid"))
    session.add(Invoice(user_id=users["B"].id, stripe_invoice_id="in_2", amount_paid=0, status="paid"))
    session.flush()
    return users


@BOTH
@pytest.mark.parametrize("kept_by_submits", [True, False], ids=["kept", "rebuilt"])
def test_the_retention_triangle_counts_accounts_active_each_week_after_sign_up(session: Session,
                                                                              kept_by_submits: bool) -> None:
    world(session, kept_by_submits=kept_by_submits)
    table = analytics.cohorts(session, weeks=3, now=NOW)
    assert [(r.cohort_week.isoformat(), r.users, r.active) for r in table.rows] == [
        ("2026-11-16", 3, [2, 1, 1]),
        ("2026-11-23", 1, [0, 1]),
        ("2026-11-30", 1, [1]),
    ]
    assert table.rows[0].retention == [0.6667, 0.3333, 0.3333]


@BOTH
@pytest.mark.parametrize("kept_by_submits", [True, False], ids=["kept", "rebuilt"])
def test_the_funnel_counts_each_step_among_those_who_reached_the_one_before(session: Session,
                                                                            kept_by_submits: bool) -> None:
    world(session, kept_by_submits=kept_by_submits)
    table = analytics.funnel(session, weeks=3, now=NOW)
    steps = [(r.cohort_week.isoformat(), r.signed_up, r.verified, r.first_generation, r.fifth_generation, r.paid)
             for r in table.rows]
    # B's invoice paid nothing; A bought a pack; E paid an invoice.
    assert steps == [("2026-11-16", 3, 2, 2, 1, 1), ("2026-11-23", 1, 1, 1, 0, 0), ("2026-11-30", 1, 1, 1, 1, 1)]
    first = table.rows[0]
    assert (first.verified_rate, first.first_generation_rate, first.fifth_generation_rate, first.paid_rate) == (
        0.6667, 1.0, 0.5, 1.0)
    assert table.rows[1].paid_rate is None


def test_an_empty_week_has_no_rates(session: Session) -> None:
    row = analytics.funnel(session, weeks=1, now=NOW).rows[0]
    assert (row.signed_up, row.verified_rate) == (0, None)
    assert analytics.cohorts(session, weeks=1, now=NOW).rows[0].retention == [None]


@BOTH
def test_submits_keep_the_milestones_a_recount_would_find(session: Session) -> None:
    user = create_user(session, created_at=datetime.now(UTC) - timedelta(days=10), tier=Tier.PRO)
    credits.grant(session, user_id=user.id, amount=50, reference="test")
    for n in range(6):
        generations.submit(session, user=user, request=GenerationCreate(prompt=f"a red fox number {n}", width=256,
                                                                        height=256))
    kept = session.get(UserActivity, user.id)
    assert kept is not None and kept.generations == 6 and kept.fifth_generation_at is not None
    weeks = session.exec(select(UserActiveWeek).where(col(UserActiveWeek.user_id) == user.id)).all()
    assert [(w.week, w.cohort_week) for w in weeks] == [(analytics.week_start(datetime.now(UTC)),
                                                         analytics.week_start(user.created_at))]
    snapshot = (kept.generations, kept.first_generation_at, kept.fifth_generation_at)
    analytics.rebuild(session)
    session.expire_all()
    recounted = session.get(UserActivity, user.id)
    assert recounted is not None
    assert (recounted.generations, recounted.first_generation_at, recounted.fifth_generation_at) == snapshot
    table = analytics.cohorts(session, weeks=2)
    assert sum(row.active[-1] for row in table.rows if row.active) >= 1


def attempt(provider: str, status: str, latency: int, code: str | None = None) -> dict[str, Any]:
    return {"provider": provider, "status": status, "error_code": code, "latency_ms": latency}


def ended(session: Session, user: User, when: datetime, used: str | None, *attempts: dict[str, Any]) -> None:
    create_generation(session, user, created_at=when - timedelta(seconds=5), completed_at=when, provider_used=used,
                      status=GenerationStatus.SUCCEEDED if used else GenerationStatus.FAILED, attempts=list(attempts))


@BOTH
def test_provider_performance_rolls_finished_days_up_once_and_counts_today_live(session: Session) -> None:
    user = create_user(session)
    ended(session, user, at("2026-11-30", 10), "stability", attempt("stability", "succeeded", 100))
    ended(session, user, at("2026-11-30", 11), "replicate", attempt("stability", "failed", 300, "provider_timeout"),
          attempt("replicate", "succeeded", 200))
    ended(session, user, at("2026-12-02", 9), None, attempt("stability", "skipped", 0, "circuit_open"),
          attempt("replicate", "failed", 50, "provider_error"))
    ended(session, user, at("2026-10-01"), "stability", attempt("stability", "succeeded", 9000))  # before the period

    table = analytics.providers(session, weeks=4, now=NOW)
    rows = {r.provider: r for r in table.rows}
    assert table.since.isoformat() == "2026-11-05" and set(rows) == {"stability", "replicate"}
    stability, replicate = rows["stability"], rows["replicate"]
    assert (stability.attempts, stability.succeeded, stability.failed, stability.skipped) == (3, 1, 1, 1)
    assert (stability.success_rate, stability.delivered, stability.failovers_out, stability.failovers_in) == (
        0.5, 1, 1, 0)
    assert (replicate.attempts, replicate.success_rate, replicate.delivered, replicate.failovers_in) == (2, 0.5, 1, 1)
    assert stability.latency_p50_ms == pytest.approx(100, rel=0.03)
    assert stability.latency_p99_ms == pytest.approx(300, rel=0.03)
    assert replicate.latency_p50_ms == pytest.approx(50, rel=0.03)
    # Every settled day and each settled hour of today (0 to 10 at 12:00) is marked, so the next read
    # rolls nothing up again; the generation of 09:00 today was counted from its hour's rollup.
    markers = session.exec(select(ProviderDailyStat).where(col(ProviderDailyStat.provider) == "")).all()
    assert sorted(m.hour for m in markers if m.day == NOW.date()) == list(range(11))
    assert len([m for m in markers if m.hour == 24]) == 27
    assert analytics.ensure_provider_rollups(session, first=table.since, now=NOW) == 0

    # A generation ending later today is counted at once; tomorrow today is rolled up and counted once.
    ended(session, user, NOW + timedelta(hours=1), "replicate", attempt("replicate", "succeeded", 220))
    assert {r.provider: r.delivered for r in analytics.providers(session, weeks=4, now=NOW + timedelta(hours=2)).rows
            } == {"stability": 1, "replicate": 2}
    tomorrow = analytics.providers(session, weeks=4, now=NOW + timedelta(days=1))
    assert {r.provider: (r.attempts, r.delivered) for r in tomorrow.rows} == {"stability": (3, 1),
                                                                              "replicate": (3, 2)}
    # Yesterday is now one whole-day row per provider; its hours are gone.
    rolled = session.exec(select(ProviderDailyStat).where(col(ProviderDailyStat.day) == NOW.date())).all()
    assert {(r.hour, r.provider) for r in rolled} == {(24, ""), (24, "stability"), (24, "replicate")}


def test_latency_buckets_are_within_three_percent() -> None:
    for ms in (1, 7, 42, 100, 999, 12_345, 120_000):
        assert analytics.bucket_value(analytics.latency_bucket(ms)) == pytest.approx(ms, rel=0.03)
    assert analytics.percentile({}, 0.5) is None


def test_csv_cells_cannot_start_a_formula() -> None:
    text = analytics.to_csv(["provider", "calls"], [["=HYPERLINK(\"http://x\")", 1], ["+1", "-2"], ["@SUM(A1)", ""],
                                                    ["plain, with comma", None]])
    assert text.splitlines() == ["provider,calls", '"\'=HYPERLINK(""http://x"")",1', "'+1,'-2", "'@SUM(A1),",
                                 '"plain, with comma",']
