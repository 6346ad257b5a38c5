"""Billing's SQL: who is due an allowance, usage notices sent once, the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from dreampixel.core.models import (
    AuditLog,
    CreditLedger,
    LedgerReason,
    Subscription,
    SubscriptionStatus,
    Tier,
    UsageNotice,
    User,
    UserStatus,
    new_id,
    utcnow,
)

# A subscription in one of these states is billed by Stripe: its allowance comes with invoice.paid.
BILLED_BY_STRIPE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)
# Reasons that refill a balance (what a low-credits warning episode starts from).
REFILLS = (LedgerReason.GRANT, LedgerReason.PURCHASE, LedgerReason.SUBSCRIPTION, LedgerReason.ADJUSTMENT)


def users_due_allowance(session: Session, *, tier: Tier, reason: LedgerReason, reference: str,
                        limit: int) -> list[str]:
    """Verified, active users of `tier` not billed by Stripe who have no (reason, reference) grant yet."""
    granted = exists().where(
        col(CreditLedger.user_id) == User.id, col(CreditLedger.reason) == reason,
        col(CreditLedger.reference) == reference,
    )
    query = select(col(User.id)).where(
        col(User.tier) == tier, col(User.status) == UserStatus.ACTIVE, col(User.email_verified_at).is_not(None),
        ~granted,
    )
    if tier is not Tier.FREE:
        query = query.where(~exists().where(
            col(Subscription.user_id) == User.id, col(Subscription.stripe_subscription_id).is_not(None),
            col(Subscription.status).in_(BILLED_BY_STRIPE),
        ))
    return list(session.execute(query.order_by(col(User.id)).limit(limit)).scalars())


def latest_refill_id(session: Session, *, user_id: str) -> str | None:
    """The newest ledger row that added credits by grant, purchase, plan or adjustment."""
    query = select(col(CreditLedger.id)).where(
        col(CreditLedger.user_id) == user_id, col(CreditLedger.reason).in_(REFILLS), col(CreditLedger.delta) > 0
    )
    return session.execute(query.order_by(col(CreditLedger.id).desc()).limit(1)).scalar_one_or_none()


def record_notice(session: Session, *, user_id: str, kind: str, period: str) -> bool:
    """Insert the (user, kind, period) notice; False when it was recorded before (nothing changes)."""
    values: dict[str, Any] = {"id": new_id("unt"), "user_id": user_id, "kind": kind, "period": period,
                              "created_at": utcnow()}
    table = UsageNotice.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    result = session.execute(insert.values(values).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "period"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def audit(session: Session, *, actor_id: str | None, action: str, user_id: str, details: dict[str, Any],
          ip: str | None = None) -> None:
    session.add(AuditLog(actor_id=actor_id, action=action, target_type="user", target_id=user_id,
                         ip=(ip or "")[:64] or None, details=details))
