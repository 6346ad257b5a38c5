"""Subscriptions: the Stripe customer of each user, Checkout and the portal, and Stripe's state mirrored.

Handlers never trust the order events arrive in: they mirror the subscription as the Stripe
API answers it now, so any order of deliveries ends in Stripe's final state. Tiers come from
the price ids in settings, never from the amount paid. A paid period's allowance is a ledger
row with a unique reference (`allowance:<TIER>:<subscription>@<period end>`), so a replay
grants nothing, and an upgrade mid-period tops that period up to the new tier's allowance.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dreampixel.core.errors import Conflict, DreamPixelError, NotFound
from dreampixel.core.logging import get_logger
from dreampixel.core.models import CreditLedger, LedgerReason, Subscription, SubscriptionStatus, Tier, User
from dreampixel.core.settings import CreditPack, settings
from services.accounts import service as accounts
from services.billing import service as billing
from services.billing import stripe
from services.billing.billing_schemas import SubscriptionPublic
from services.credits import service as credits
from services.email import notifications
from services.events import service as events
from services.webhooks import service as webhooks

log = get_logger(__name__)

# Stripe's statuses, as our enum names them; "paused" and "incomplete_expired" pay for nothing.
STATUSES = {
    "trialing": SubscriptionStatus.TRIALING, "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE, "canceled": SubscriptionStatus.CANCELED,
    "unpaid": SubscriptionStatus.UNPAID, "incomplete": SubscriptionStatus.INCOMPLETE,
    "incomplete_expired": SubscriptionStatus.CANCELED, "paused": SubscriptionStatus.UNPAID,
}
# PAST_DUE keeps the tier during Stripe's retry window; the others fall back to FREE.
PAYING = frozenset({SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE})
BILLING_EVENT = "billing.updated"


class UnknownPrice(DreamPixelError):
    status_code = 422
    code = "unknown_price"
    title = "Unknown price"


class AlreadySubscribed(Conflict):
    code = "already_subscribed"


class NoBillingAccount(NotFound):
    code = "no_billing_account"


def plan_prices() -> dict[str, tuple[Tier, int]]:
    """Each configured plan price id -> (tier, months of allowance one paid period carries)."""
    plans = {settings.stripe_price_pro_monthly: (Tier.PRO, 1), settings.stripe_price_pro_yearly: (Tier.PRO, 12),
             settings.stripe_price_enterprise: (Tier.ENTERPRISE, 1)}
    return {price: plan for price, plan in plans.items() if price}


def credit_pack(price_id: str) -> CreditPack | None:
    return next((pack for pack in settings.credit_packs if pack.price_id == price_id), None)


def monthly_allowance(tier: Tier) -> int:
    """Credits a tier receives per month (CREDITS_<TIER>_MONTHLY)."""
    return settings.credit_allowance(tier.value)


# --- customers, Checkout and the portal ---------------------------------------------------------


def subscription_of(session: Session, *, user_id: str) -> Subscription | None:
    return session.exec(select(Subscription).where(col(Subscription.user_id) == user_id)).first()


def _by_customer(session: Session, customer_id: str) -> Subscription | None:
    return session.exec(select(Subscription).where(col(Subscription.stripe_customer_id) == customer_id)).first()


def lock_customer(session: Session, customer_id: str) -> None:
    """Hold the customer's billing row until the transaction ends (PostgreSQL; SQLite serializes writers)."""
    session.exec(select(Subscription).where(col(Subscription.stripe_customer_id) == customer_id)
                 .with_for_update()).first()


def ensure_customer(session: Session, *, user: User) -> Subscription:
    """The user's billing row, creating their Stripe customer on first use."""
    row = subscription_of(session, user_id=user.id)
    if row is not None:
        return row
    customer = stripe.create_customer(user_id=user.id, email=user.email, name=user.name)
    row = Subscription(user_id=user.id, stripe_customer_id=customer["id"])
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent first checkout made the row (with the same customer: same idempotency key).
        found = subscription_of(session, user_id=user.id)
        assert found is not None
        return found
    return row


def start_checkout(session: Session, *, user_id: str, price_id: str, success_url: str, cancel_url: str) -> str:
    """The URL of a hosted Checkout for a plan (subscription) or a credit pack (one-off payment)."""
    if not settings.stripe_enabled:
        raise stripe.BillingNotConfigured("Billing is not set up on this installation.")
    is_plan = price_id in plan_prices()
    if not is_plan and credit_pack(price_id) is None:
        raise UnknownPrice("That plan or pack is not on sale here.")
    user = accounts.active_user(session, user_id)
    row = ensure_customer(session, user=user)
    if is_plan and row.stripe_subscription_id and row.status in PAYING:
        raise AlreadySubscribed("You already have a plan: change it with Manage billing.")
    checkout = stripe.create_checkout_session(customer_id=row.stripe_customer_id, user_id=user.id, price_id=price_id,
                                              subscription=is_plan, success_url=success_url, cancel_url=cancel_url)
    log.info("billing.checkout_started", user_id=user.id, price_id=price_id, checkout_id=checkout["id"])
    return str(checkout["url"])


def portal_url(session: Session, *, user_id: str, return_url: str) -> str:
    """The Customer Portal (card, plan change, cancel) for a user who has a Stripe customer."""
    if not settings.stripe_enabled:
        raise stripe.BillingNotConfigured("Billing is not set up on this installation.")
    row = subscription_of(session, user_id=user_id)
    if row is None:
        raise NoBillingAccount("There is nothing to manage yet: choose a plan or a pack first.")
    return str(stripe.create_portal_session(customer_id=row.stripe_customer_id, return_url=return_url)["url"])


# --- mirroring Stripe ---------------------------------------------------------------------------


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def sync_subscription(session: Session, *, subscription: dict[str, Any]) -> Subscription | None:
    """Mirror a subscription (as Stripe answers it now) into the row and the user's tier."""
    row = _by_customer(session, subscription["customer"])
    if row is None:
        log.warning("billing.unknown_customer", customer=subscription["customer"], subscription=subscription["id"])
        return None
    status = STATUSES.get(subscription["status"], SubscriptionStatus.INCOMPLETE)
    if row.stripe_subscription_id not in (None, subscription["id"]) and row.status in PAYING and status not in PAYING:
        # An older subscription ending while a newer one pays: the newer one is the plan.
        return row
    price_id = stripe.subscription_price(subscription)
    plan = plan_prices().get(price_id or "")
    if plan is None and status in PAYING:
        log.warning("billing.unknown_price", price_id=price_id, subscription=subscription["id"])
    tier = plan[0] if plan is not None and status in PAYING else Tier.FREE
    was = (row.status, row.tier, row.cancel_at_period_end, row.current_period_end)
    row.stripe_subscription_id = subscription["id"]
    row.status, row.tier, row.price_id = status, tier, price_id
    row.current_period_end = _timestamp(stripe.subscription_period_end(subscription))
    row.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    session.add(row)
    session.execute(update(User).where(col(User.id) == row.user_id).values(tier=tier))
    if was != (row.status, row.tier, row.cancel_at_period_end, row.current_period_end):
        log.info("billing.subscription_mirrored", user_id=row.user_id, status=status.value, tier=tier.value)
        events.publish_after_commit(session, row.user_id, {"type": BILLING_EVENT})
        # The same object GET /api/v1/billing/subscription returns, to the owner's webhook endpoints.
        webhooks.emit(session, user_id=row.user_id, type="subscription.updated",
                      data=SubscriptionPublic.of(row, tier=tier).model_dump(mode="json"))
        if status == SubscriptionStatus.PAST_DUE and was[0] != SubscriptionStatus.PAST_DUE:
            user = session.get(User, row.user_id)
            if user is not None:
                notifications.send_subscription_changed(session, to=user.email, name=user.name or "",
                                                        plan=tier.value, status="payment failed, Stripe will retry")
    return row


def user_of_customer(session: Session, customer_id: str | None) -> str | None:
    row = _by_customer(session, customer_id) if customer_id else None
    return row.user_id if row is not None else None


def _granted(session: Session, *, user_id: str, references: list[str]) -> int:
    total = session.exec(select(func.coalesce(func.sum(col(CreditLedger.delta)), 0)).where(
        col(CreditLedger.user_id) == user_id, col(CreditLedger.reason) == billing.ALLOWANCE_REASON,
        col(CreditLedger.reference).in_(references)))
    return int(total.one())


def grant_for_invoice(session: Session, *, invoice: dict[str, Any]) -> int:
    """Top up the allowance a paid invoice's plan lines carry for their period; returns the credits granted."""
    if invoice.get("status") != "paid":
        return 0
    user_id = user_of_customer(session, invoice.get("customer"))
    subscription_id = stripe.invoice_subscription(invoice)
    if user_id is None or subscription_id is None:
        return 0
    granted = 0
    for price_id, _start, end in stripe.invoice_lines(invoice):
        plan = plan_prices().get(price_id or "")
        if plan is None:
            continue
        tier, months = plan
        # One period per paid cycle: an upgrade's prorated invoice ends where the cycle ends, so
        # it tops the same period up to the new tier's allowance instead of adding a second one.
        period = f"{subscription_id}@{datetime.fromtimestamp(end, UTC):%Y-%m-%dT%H:%M:%SZ}"
        references = [billing.allowance_reference(each, period) for each in Tier]
        target = monthly_allowance(tier) * months

        def missing(_balance: int, references: list[str] = references, target: int = target) -> int:
            # Read under the user's row lock that grant_once holds: concurrent deliveries queue here.
            return max(0, target - _granted(session, user_id=user_id, references=references))

        entry = credits.grant_once(session, user_id=user_id, reason=billing.ALLOWANCE_REASON,
                                   reference=billing.allowance_reference(tier, period), amount=missing)
        if entry is not None and entry.delta:
            granted += entry.delta
            log.info("billing.allowance_granted", user_id=user_id, tier=tier.value, period=period,
                     credits=entry.delta, invoice=invoice["id"])
    if granted:
        events.publish_after_commit(session, user_id, {"type": BILLING_EVENT})
    return granted


def grant_for_checkout(session: Session, *, checkout: dict[str, Any]) -> int:
    """Grant the credit packs of a paid one-off Checkout, once per Checkout session."""
    if checkout.get("mode") != "payment" or checkout.get("payment_status") != "paid":
        return 0
    user_id = user_of_customer(session, checkout.get("customer"))
    if user_id is None:
        log.warning("billing.unknown_customer", customer=checkout.get("customer"), checkout=checkout["id"])
        return 0
    amount = sum(pack.credits for price in stripe.checkout_prices(checkout) if (pack := credit_pack(price)))
    if amount <= 0:
        log.warning("billing.unknown_pack", checkout=checkout["id"], prices=stripe.checkout_prices(checkout))
        return 0
    # The Checkout session id is the grant's unique reference: a second completion is a no-op.
    entry = credits.grant_once(session, user_id=user_id, reason=LedgerReason.PURCHASE,
                               reference=f"checkout:{checkout['id']}", amount=lambda _balance: amount)
    if entry is None:
        return 0
    log.info("billing.pack_granted", user_id=user_id, amount=amount, checkout=checkout["id"])
    events.publish_after_commit(session, user_id, {"type": BILLING_EVENT})
    return amount


def current(session: Session, *, user_id: str) -> SubscriptionPublic:
    """The user's plan as Stripe last reported it (the billing page and the API read this)."""
    user = accounts.active_user(session, user_id)
    return SubscriptionPublic.of(subscription_of(session, user_id=user_id), tier=user.tier)
