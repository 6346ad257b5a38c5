"""Billing as the API returns it and the billing page shows it: invoices, the plan, a Checkout to open."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from dreampixel.core.models import Invoice, Subscription, SubscriptionStatus, Tier
from dreampixel.core.schemas import Timestamp


class InvoicePublic(BaseModel):
    """One Stripe invoice of the caller; `pdf_url` is ours (owner only), null until the copy is stored."""

    object: Literal["invoice"] = "invoice"
    id: str
    status: str
    amount_due: int
    amount_paid: int
    currency: str
    period_start: Timestamp | None
    period_end: Timestamp | None
    created_at: Timestamp
    hosted_invoice_url: str | None
    pdf_url: str | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoicePublic:
        return cls(id=invoice.id, status=invoice.status, amount_due=invoice.amount_due,
                   amount_paid=invoice.amount_paid, currency=invoice.currency, period_start=invoice.period_start,
                   period_end=invoice.period_end, created_at=invoice.created_at,
                   hosted_invoice_url=invoice.hosted_invoice_url,
                   pdf_url=f"/api/v1/invoices/{invoice.id}/pdf" if invoice.pdf_storage_key else None)


class SubscriptionPublic(BaseModel):
    """The caller's plan as Stripe last reported it."""

    object: Literal["subscription"] = "subscription"
    tier: Tier
    status: SubscriptionStatus
    cancel_at_period_end: bool
    current_period_end: Timestamp | None

    @classmethod
    def of(cls, row: Subscription | None, *, tier: Tier) -> SubscriptionPublic:
        if row is None:
            return cls(tier=tier, status=SubscriptionStatus.INACTIVE, cancel_at_period_end=False,
                       current_period_end=None)
        return cls(tier=tier, status=row.status, cancel_at_period_end=row.cancel_at_period_end,
                   current_period_end=row.current_period_end)


class CheckoutCreate(BaseModel):
    """A plan or credit pack to buy, by its Stripe price id (as /pricing lists them)."""

    price_id: str = Field(min_length=1, max_length=255)


class CheckoutPublic(BaseModel):
    object: Literal["checkout"] = "checkout"
    url: str


class WebhookReceipt(BaseModel):
    """What Stripe is answered: received, and whether the event type is one billing handles."""

    received: bool = True
    ignored: bool = False
