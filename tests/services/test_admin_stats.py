"""The dashboard's numbers: today counted live, finished days rolled up once, billing read as it is."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from dreampixel.core.models import (
    AuthSession,
    DailyStat,
    GenerationStatus,
    Invoice,
    Subscription,
    SubscriptionStatus,
    Tier,
    utcnow,
)
from services.admin import stats
from tests.factories import create_generation, create_user


def test_the_dashboard_counts_todays_generations_and_sign_ups_live(session: Session) -> None:
    now = utcnow()
    user = create_user(session)
    for status in (GenerationStatus.SUCCEEDED, GenerationStatus.SUCCEEDED, GenerationStatus.FAILED):
        done = status is GenerationStatus.SUCCEEDED
        create_generation(session, user, status=status, provider_used="local", credits_charged=1 if done else 0,
                          processing_time_ms=200 if done else None, completed_at=now)
    create_generation(session, user)  # queued
    report = stats.dashboard(session, now=now)
    assert (report.users_total, report.users_new_today) == (1, 1)
    assert report.generations_today == 4 and report.queue_depth == 1
    assert report.success_rate_7d == round(2 / 3, 4)
    assert report.processing_p50_ms == 200 and report.credits_spent_7d == 2
    assert report.provider_share == {"local": 3} and report.provider_failure_rate == {"local": round(1 / 3, 4)}
    today = report.generations_per_day[-1]
    assert today.day == now.date().isoformat() and today.values["succeeded"] == 2


def test_a_finished_day_is_rolled_up_once_and_read_from_the_rollup(session: Session) -> None:
    now = utcnow()
    yesterday = now - timedelta(days=1)
    user = create_user(session, created_at=yesterday)
    create_generation(session, user, status=GenerationStatus.SUCCEEDED, created_at=yesterday, provider_used="local")
    stats.dashboard(session, now=now)
    rolled = session.exec(select(DailyStat).where(col(DailyStat.day) == yesterday.date(),
                                                 col(DailyStat.metric) == "generations")).one()
    assert (rolled.key, rolled.value) == ("succeeded", 1)
    # A row added to a finished day afterwards does not change the rolled-up past: it is not recounted.
    create_generation(session, user, status=GenerationStatus.SUCCEEDED, created_at=yesterday)
    assert stats.ensure_rollups(session, today=now.date()) == 0
    report = stats.dashboard(session, now=now)
    assert report.generations_per_day[-2].values["succeeded"] == 1
    assert report.signups_per_day[-2].values["signups"] == 1 and report.users_new_7d == 1


def test_active_users_are_those_with_a_session_used_in_the_last_week(session: Session) -> None:
    now = utcnow()
    recent, stale = create_user(session), create_user(session)
    for user, used in ((recent, now - timedelta(days=1)), (stale, now - timedelta(days=9))):
        session.add(AuthSession(user_id=user.id, token_hash=user.id, expires_at=now + timedelta(days=1),
                                last_used_at=used))
    session.flush()
    assert stats.dashboard(session, now=now).users_active_7d == 1


def test_subscriptions_and_revenue_come_from_the_billing_tables(session: Session) -> None:
    now = utcnow()
    payer, lapsed = create_user(session), create_user(session)
    session.add(Subscription(user_id=payer.id, stripe_customer_id="cus_1", status=SubscriptionStatus.ACTIVE,
                             tier=Tier.PRO))
    session.add(Subscription(user_id=lapsed.id, stripe_customer_id="cus_2", status=SubscriptionStatus.CANCELED,
                             tier=Tier.PRO))
    session.add(Invoice(user_id=payer.id, stripe_invoice_id="in_1", amount_paid=1900, status="paid"))
    session.add(Invoice(user_id=lapsed.id, stripe_invoice_id="in_2", amount_paid=1900, status="paid"))
    session.flush()
    report = stats.dashboard(session, now=now)
    assert report.subscriptions_by_tier == {"PRO": 1}
    assert (report.mrr_cents, report.revenue_30d_cents) == (1900, 3800)


def test_an_empty_install_shows_zeros_not_errors(session: Session) -> None:
    report = stats.dashboard(session)
    assert report.users_total == 0 and report.success_rate_7d is None and report.mrr_cents == 0
    assert len(report.generations_per_day) == stats.CHART_DAYS
