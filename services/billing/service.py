"""Credits a plan grants, once per period, and the operator's grants and tier changes.

Allowances are ledger rows with reason `subscription` and reference `allowance:<TIER>:<period>`;
a unique index on (user, reason, reference) makes a job run twice, or a webhook replayed, grant
once. FREE allowances (and plans set by hand, without a Stripe subscription) renew each UTC
calendar month by topping the balance up to the allowance: unused credits carry over but do not
pile up. A paid period (`invoice.paid`) adds its allowance to whatever the balance holds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from dreampixel.core.errors import NotFound, ValidationFailed
from dreampixel.core.logging import get_logger
from dreampixel.core.models import LedgerReason, Tier, User, utcnow
from dreampixel.core.settings import settings
from services.billing import repository
from services.billing.schemas import AllowanceGrant, CreditChange, RenewalReport, TierChange
from services.credits import service as credits
from services.events import service as events

log = get_logger(__name__)

ALLOWANCE_REASON = LedgerReason.SUBSCRIPTION
RENEWAL_BATCH = 500
REASON_MAX_LENGTH = 255
# The most one operator change may add or remove at once (a typo guard, not a policy).
CREDIT_CHANGE_LIMIT = 1_000_000


def month_period(at: datetime | None = None) -> str:
    """The FREE allowance's period for a moment: its UTC calendar month, "2026-12"."""
    return (at or utcnow()).astimezone(UTC).strftime("%Y-%m")


def renews_on(at: datetime | None = None) -> date:
    """The day the next monthly allowance is granted: the first of the next UTC month."""
    today = (at or utcnow()).astimezone(UTC).date()
    return date(today.year + 1, 1, 1) if today.month == 12 else date(today.year, today.month + 1, 1)


def allowance_reference(tier: Tier, period: str) -> str:
    return f"allowance:{tier.value}:{period}"


def grant_allowance(session: Session, *, user_id: str, tier: Tier, period: str,
                    top_up: bool | None = None) -> AllowanceGrant | None:
    """Grant `tier`'s allowance for `period` once; None when this (user, tier, period) was granted before.

    FREE tops the balance up to the allowance; a paid tier adds it (`top_up` overrides either).
    """
    allowance = settings.credit_allowance(tier.value)
    tops_up = tier is Tier.FREE if top_up is None else top_up

    def amount(balance: int) -> int:
        return max(0, allowance - balance) if tops_up else allowance

    entry = credits.grant_once(session, user_id=user_id, reason=ALLOWANCE_REASON,
                               reference=allowance_reference(tier, period), amount=amount)
    if entry is None:
        return None
    log.info("billing.allowance_granted", user_id=user_id, tier=tier.value, period=period, credits=entry.delta)
    return AllowanceGrant(user_id=user_id, tier=tier, period=period, amount=entry.delta, balance=entry.balance_after)


def grant_free_allowance(session: Session, *, user_id: str, now: datetime | None = None) -> AllowanceGrant | None:
    """This month's FREE allowance, at the moment an email address is verified."""
    return grant_allowance(session, user_id=user_id, tier=Tier.FREE, period=month_period(now))


def renew_free_allowances(session: Session, *, now: datetime | None = None,
                          batch: int = RENEWAL_BATCH) -> RenewalReport:
    """Grant this month's allowance to up to `batch` verified accounts that lack it.

    FREE accounts, and PRO or ENTERPRISE set by an operator (no Stripe subscription), are topped
    up; accounts billed by Stripe get theirs on `invoice.paid`. Call again while `more` is true.
    """
    period = month_period(now)
    granted, seen = 0, 0
    for tier in Tier:
        due = repository.users_due_allowance(session, tier=tier, reason=ALLOWANCE_REASON,
                                             reference=allowance_reference(tier, period), limit=batch - seen)
        seen += len(due)
        for user_id in due:
            if grant_allowance(session, user_id=user_id, tier=tier, period=period, top_up=True) is not None:
                granted += 1
        if seen >= batch:
            break
    log.info("billing.allowances_renewed", period=period, granted=granted)
    return RenewalReport(period=period, granted=granted, more=seen >= batch)


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def grant_credits(session: Session, *, user_id: str, amount: int, reason: str, actor: str | None,
                  ip: str | None = None) -> CreditChange:
    """Add credits by hand, or remove them with a negative amount, as one ledger row and one audit row.

    Removing more than the balance holds is refused (nothing changes). `actor` is the staff
    member's user id; None for the operator's command line. The owner's open pages hear the
    new balance after the commit.
    """
    cleaned = reason.strip()[:REASON_MAX_LENGTH]
    if not cleaned:
        raise ValidationFailed("Give a reason.", errors=[{"field": "reason", "message": "Required."}])
    if amount == 0 or abs(amount) > CREDIT_CHANGE_LIMIT:
        message = f"Give an amount other than 0, at most {CREDIT_CHANGE_LIMIT:,} either way."
        raise ValidationFailed(message, errors=[{"field": "amount", "message": message}])
    user = _user(session, user_id)
    if amount > 0:
        entry = credits.grant(session, user_id=user.id, amount=amount, reason=LedgerReason.GRANT, reference=cleaned)
    else:
        try:
            entry = credits.debit(session, user_id=user.id, amount=-amount, reason=LedgerReason.ADJUSTMENT,
                                  reference=cleaned)
        except credits.InsufficientCredits:
            session.refresh(user, ["credit_balance"])
            message = (f"Cannot remove {-amount:,} credits: the balance is {user.credit_balance:,}. "
                       "Remove at most the balance.")
            raise ValidationFailed(message, code="balance_too_low",
                                   errors=[{"field": "amount", "message": message}]) from None
    before = entry.balance_after - entry.delta
    repository.audit(session, actor_id=actor, action="user.credits_granted" if amount > 0 else "user.credits_removed",
                     user_id=user.id, ip=ip,
                     details={"reason": cleaned, "before": before, "after": entry.balance_after, "amount": amount})
    events.publish_after_commit(session, user.id, {"type": "credits.changed", "balance": entry.balance_after})
    log.info("billing.credits_granted", user_id=user.id, actor_id=actor, credits=entry.delta)
    return CreditChange(user_id=user.id, email=user.email, amount=entry.delta, balance=entry.balance_after,
                        reason=cleaned)


def set_tier(session: Session, *, user_id: str, tier: Tier, actor: str | None, grant: bool = True,
             reason: str | None = None, ip: str | None = None, now: datetime | None = None) -> TierChange:
    """Put the user on `tier` (the daily limit follows at once), with an audit row.

    With `grant`, the balance is topped up to the new tier's allowance for this month, as for a
    plan set by hand (an operator's change always grants); Stripe's handlers pass `grant=False`
    and grant on `invoice.paid`.
    """
    user = _user(session, user_id)
    previous = user.tier
    user.tier = tier
    session.add(user)
    session.flush()
    granted = grant_allowance(session, user_id=user.id, tier=tier, period=month_period(now), top_up=True) \
        if grant else None
    session.refresh(user, ["credit_balance"])
    repository.audit(session, actor_id=actor, action="user.tier_changed", user_id=user.id, ip=ip,
                     details={"reason": (reason or "").strip()[:REASON_MAX_LENGTH] or None,
                              "before": previous.value, "after": tier.value,
                              "granted": granted.amount if granted else 0})
    if granted is not None and granted.amount:
        events.publish_after_commit(session, user.id, {"type": "credits.changed", "balance": user.credit_balance})
    log.info("billing.tier_set", user_id=user.id, actor_id=actor, tier=tier.value, previous=previous.value)
    return TierChange(user_id=user.id, email=user.email, tier=tier, previous=previous,
                      granted=granted.amount if granted else 0, balance=user.credit_balance)
