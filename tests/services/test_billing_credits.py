"""Plan allowances granted once per (user, reason, period), renewed each calendar month, and the
operator's grants and tier changes; after each step the ledger adds up to the balance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dreampixel.core.db import uow
from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import (
    AuditLog,
    CreditLedger,
    LedgerReason,
    Subscription,
    SubscriptionStatus,
    Tier,
    User,
    UserStatus,
    new_id,
    utcnow,
)
from dreampixel.core.settings import settings
from services.billing import service as billing
from services.credits import service as credits
from tests.factories import create_user

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
DECEMBER = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
JANUARY = datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC)
FREE = 30  # settings.credits_free_monthly


@pytest.fixture(autouse=True)
def allowances(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "credits_free_monthly", FREE)
    monkeypatch.setattr(settings, "credits_pro_monthly", 1000)


def balance(session: Session, user_id: str) -> int:
    """The balance, after checking that the ledger adds up to it."""
    user = session.get(User, user_id)
    assert user is not None
    session.refresh(user)
    total = session.exec(select(func.coalesce(func.sum(CreditLedger.delta), 0))
                         .where(col(CreditLedger.user_id) == user_id)).one()
    assert total == user.credit_balance, "the ledger adds up to the balance"
    return user.credit_balance


def allowance_rows(session: Session, user_id: str) -> list[CreditLedger]:
    return list(session.exec(select(CreditLedger).where(col(CreditLedger.user_id) == user_id,
                                                        col(CreditLedger.reason) == LedgerReason.SUBSCRIPTION)
                             .order_by(col(CreditLedger.id))).all())


@BOTH
def test_the_same_allowance_granted_twice_is_granted_once(session: Session) -> None:
    user = create_user(session)
    first = billing.grant_allowance(session, user_id=user.id, tier=Tier.FREE, period="2026-12")
    again = billing.grant_allowance(session, user_id=user.id, tier=Tier.FREE, period="2026-12")
    assert first is not None and first.amount == FREE
    assert again is None
    assert balance(session, user.id) == FREE
    assert [row.reference for row in allowance_rows(session, user.id)] == ["allowance:FREE:2026-12"]


@BOTH
def test_the_database_refuses_a_second_row_for_one_allowance_reference(session: Session) -> None:
    user = create_user(session)
    billing.grant_allowance(session, user_id=user.id, tier=Tier.PRO, period="in_123")
    duplicate = {"id": new_id("led"), "created_at": utcnow(), "user_id": user.id, "delta": 1000,
                 "reason": LedgerReason.SUBSCRIPTION, "reference": "allowance:PRO:in_123", "balance_after": 2000}
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(insert(CreditLedger.__table__), [duplicate])  # type: ignore[attr-defined]


def test_twenty_parallel_grants_of_one_allowance_grant_once_on_postgresql(live_db: Engine) -> None:
    with uow() as session:
        user_id = create_user(session).id

    def attempt(_: int) -> bool:
        with uow() as session:
            return billing.grant_allowance(session, user_id=user_id, tier=Tier.FREE, period="2026-12") is not None

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count(True) == 1
    with uow() as session:
        assert balance(session, user_id) == FREE
        assert len(allowance_rows(session, user_id)) == 1


@BOTH
def test_renewal_grants_again_on_the_first_of_the_next_month(session: Session) -> None:
    user = create_user(session)
    billing.renew_free_allowances(session, now=DECEMBER)
    credits.debit(session, user_id=user.id, amount=20, reason=LedgerReason.HOLD)
    billing.renew_free_allowances(session, now=DECEMBER)
    assert balance(session, user.id) == 10, "the last second of December is still December"
    report = billing.renew_free_allowances(session, now=JANUARY)
    assert report.period == "2027-01" and report.granted >= 1
    assert balance(session, user.id) == FREE, "topped up to the allowance on January 1"
    assert [row.reference for row in allowance_rows(session, user.id)] == [
        "allowance:FREE:2026-12", "allowance:FREE:2027-01"]


@BOTH
def test_unused_free_credits_carry_over_without_piling_up(session: Session) -> None:
    user = create_user(session)
    credits.grant(session, user_id=user.id, amount=45, reason=LedgerReason.PURCHASE, reference="cs_pack")
    billing.renew_free_allowances(session, now=JANUARY)
    assert balance(session, user.id) == 45, "a balance above the allowance is kept as it is"
    assert [row.delta for row in allowance_rows(session, user.id)] == [0], "the month is settled, at 0"


@BOTH
def test_a_paid_allowance_adds_to_the_balance_carried_over_from_free(session: Session) -> None:
    user = create_user(session)
    billing.grant_free_allowance(session, user_id=user.id, now=DECEMBER)
    credits.debit(session, user_id=user.id, amount=12, reason=LedgerReason.HOLD)
    billing.grant_allowance(session, user_id=user.id, tier=Tier.PRO, period="in_1")
    assert balance(session, user.id) == 18 + 1000


@BOTH
def test_renewal_skips_unverified_suspended_and_stripe_billed_accounts(session: Session) -> None:
    unverified = create_user(session, email_verified_at=None)
    suspended = create_user(session, status=UserStatus.SUSPENDED)
    stripe_pro = create_user(session, tier=Tier.PRO)
    session.add(Subscription(user_id=stripe_pro.id, stripe_customer_id="cus_1", stripe_subscription_id="sub_1",
                             status=SubscriptionStatus.ACTIVE, tier=Tier.PRO))
    hand_set_pro = create_user(session, tier=Tier.PRO)
    session.flush()
    billing.renew_free_allowances(session, now=JANUARY)
    assert [balance(session, u.id) for u in (unverified, suspended, stripe_pro)] == [0, 0, 0]
    assert balance(session, hand_set_pro.id) == 1000, "a plan set by hand renews like FREE, at its allowance"


@BOTH
def test_renewal_works_through_many_accounts_in_batches(session: Session) -> None:
    users = [create_user(session) for _ in range(5)]
    first = billing.renew_free_allowances(session, now=JANUARY, batch=3)
    second = billing.renew_free_allowances(session, now=JANUARY, batch=3)
    third = billing.renew_free_allowances(session, now=JANUARY, batch=3)
    assert (first.granted, first.more, second.granted, second.more, third.granted) == (3, True, 2, False, 0)
    assert {balance(session, u.id) for u in users} == {FREE}


@BOTH
def test_an_operator_grant_adds_and_removes_but_a_removal_past_the_balance_is_refused(session: Session) -> None:
    user = create_user(session)
    added = billing.grant_credits(session, user_id=user.id, amount=8, reason="support ticket 42", actor=None)
    with pytest.raises(ValidationFailed, match="Cannot remove 50 credits: the balance is 8"):
        billing.grant_credits(session, user_id=user.id, amount=-50, reason="refund reversed", actor=None)
    removed = billing.grant_credits(session, user_id=user.id, amount=-8, reason="refund reversed", actor=None)
    assert (added.balance, removed.amount, removed.balance) == (8, -8, 0)
    assert balance(session, user.id) == 0
    audit = session.exec(select(AuditLog).where(col(AuditLog.target_id) == user.id)
                         .order_by(col(AuditLog.created_at))).all()
    assert [(row.action, row.details["reason"], row.details["before"], row.details["after"]) for row in audit] == [
        ("user.credits_granted", "support ticket 42", 0, 8), ("user.credits_removed", "refund reversed", 8, 0)]


@BOTH
def test_setting_a_tier_changes_the_limit_and_tops_up_to_its_allowance(session: Session) -> None:
    user = create_user(session)
    credits.grant(session, user_id=user.id, amount=7)
    change = billing.set_tier(session, user_id=user.id, tier=Tier.PRO, actor=None, now=JANUARY)
    assert (change.previous, change.tier, change.granted, change.balance) == (Tier.FREE, Tier.PRO, 993, 1000)
    assert balance(session, user.id) == 1000
    assert billing.set_tier(session, user_id=user.id, tier=Tier.PRO, actor=None, now=JANUARY).granted == 0


def test_the_monthly_period_and_renewal_day_follow_the_utc_calendar() -> None:
    assert billing.month_period(DECEMBER) == "2026-12"
    assert billing.month_period(JANUARY) == "2027-01"
    assert billing.renews_on(DECEMBER).isoformat() == "2027-01-01"
    assert billing.renews_on(datetime(2027, 1, 31, 23, 0, tzinfo=UTC)).isoformat() == "2027-02-01"
