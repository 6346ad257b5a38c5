"""The pricing and billing pages' entry points: offers, the viewer's plan and invoices, Checkout and the portal.

Synchronous on purpose: states run these with `asyncio.to_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dreampixel.core.db import uow
from dreampixel.core.models import SubscriptionStatus, Tier
from dreampixel.core.settings import settings
from services.billing import invoices, subscriptions
from services.plans import service as plans
from states.edge.accounts import Viewer


@dataclass(frozen=True)
class PlanOffer:
    tier: str
    label: str  # "PRO monthly"
    price: str  # "$19 / month"
    price_id: str


@dataclass(frozen=True)
class PackOffer:
    label: str
    price: str
    credits: int
    price_id: str


@dataclass(frozen=True)
class Offers:
    billing_enabled: bool
    plans: tuple[PlanOffer, ...]
    packs: tuple[PackOffer, ...]


@dataclass(frozen=True)
class InvoiceRow:
    id: str
    date: str
    amount: str
    status: str
    pdf_url: str


@dataclass(frozen=True)
class BillingOverview:
    tier: str
    credits: int
    allowance: str
    status: str
    billing_enabled: bool
    has_customer: bool
    past_due: bool
    cancel_at_period_end: bool
    period_end: str
    invoices: tuple[InvoiceRow, ...]


def offers() -> Offers:
    """What /pricing sells: each configured plan price and credit pack (no unit of work needed)."""
    labels = {settings.stripe_price_pro_monthly: ("PRO", "Monthly", settings.price_label_pro_monthly),
              settings.stripe_price_pro_yearly: ("PRO", "Yearly", settings.price_label_pro_yearly),
              settings.stripe_price_enterprise: ("ENTERPRISE", "Monthly", settings.price_label_enterprise)}
    plan_offers = tuple(PlanOffer(tier=tier.value, label=labels[price][1], price=labels[price][2], price_id=price)
                        for price, (tier, _months) in subscriptions.plan_prices().items())
    packs = tuple(PackOffer(label=pack.label, price=pack.price, credits=pack.credits, price_id=pack.price_id)
                  for pack in settings.credit_packs)
    return Offers(billing_enabled=settings.stripe_enabled, plans=plan_offers, packs=packs)


def _money(cents: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency.lower())
    return f"{symbol}{cents / 100:,.2f}" if symbol else f"{cents / 100:,.2f} {currency.upper()}"


def overview(viewer: Viewer) -> BillingOverview:
    """The viewer's plan, status, credits and invoices, read now."""
    with uow() as session:
        plan = plans.current_plan(session, user_id=viewer.user_id)
        subscription = subscriptions.current(session, user_id=viewer.user_id)
        has_customer = subscriptions.subscription_of(session, user_id=viewer.user_id) is not None
        rows = tuple(InvoiceRow(id=i.id, date=f"{i.created_at:%B} {i.created_at.day}, {i.created_at.year}",
                                amount=_money(i.amount_paid or i.amount_due, i.currency), status=i.status,
                                pdf_url=f"/api/billing/invoices/{i.id}/pdf" if i.pdf_url else "")
                     for i in invoices.list_for(session, user_id=viewer.user_id))
    end = subscription.current_period_end
    return BillingOverview(
        tier=plan.tier, credits=plan.credits, allowance=plan.generations, status=subscription.status.value,
        billing_enabled=plan.billing_enabled, has_customer=has_customer,
        past_due=subscription.status == SubscriptionStatus.PAST_DUE,
        cancel_at_period_end=subscription.cancel_at_period_end and subscription.tier != Tier.FREE,
        period_end=f"{end:%B} {end.day}, {end.year}" if end else "", invoices=rows)


def checkout(viewer: Viewer, *, price_id: str, origin: str) -> str:
    """The hosted Checkout URL for a plan or pack; Stripe sends the viewer back to /billing."""
    base = settings.public_url.rstrip("/") or origin
    with uow() as session:
        return subscriptions.start_checkout(session, user_id=viewer.user_id, price_id=price_id,
                                            success_url=f"{base}/billing?checkout=success",
                                            cancel_url=f"{base}/pricing")


def portal(viewer: Viewer, *, origin: str) -> str:
    """The Customer Portal URL, returning to /billing."""
    base = settings.public_url.rstrip("/") or origin
    with uow() as session:
        return subscriptions.portal_url(session, user_id=viewer.user_id, return_url=f"{base}/billing")
