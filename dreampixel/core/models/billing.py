"""Money and credits: the credit ledger, Stripe subscriptions, invoices and received events."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from dreampixel.core.models.base import (
    CreatedAt,
    JSONType,
    Timestamps,
    UTCDateTime,
    enum_field,
    flag_field,
    id_field,
    reference,
    utcnow,
)
from dreampixel.core.models.enums import LedgerReason, SubscriptionStatus, Tier

# --- credit ledger ------------------------------------------------------------------------------

# Grants that must happen once per reference (a plan's allowance for a period, a paid pack):
# the unique index below makes a replayed job or webhook a no-op.
GRANTED_ONCE = "reason IN ('subscription', 'purchase')"


class CreditLedgerBase(SQLModel):
    delta: int
    reason: LedgerReason = enum_field(LedgerReason, LedgerReason.GRANT)
    # What the change was for: a generation id, a Stripe object id, "signup", ...
    reference: str | None = Field(default=None, max_length=255)


class CreditLedger(CreditLedgerBase, CreatedAt, table=True):
    """One change to a user's balance, with the balance it left behind."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        Index("ix_credit_ledger_user_id_created_at", "user_id", "created_at"),
        Index("ix_credit_ledger_reference", "reference"),
        Index("uq_credit_ledger_user_id_reason_reference", "user_id", "reason", "reference", unique=True,
              postgresql_where=text(GRANTED_ONCE), sqlite_where=text(GRANTED_ONCE)),
    )

    id: str = id_field("led")
    # Set to NULL when the account is deleted: the totals stay, the person does not.
    user_id: str | None = reference("users.id", ondelete="SET NULL", nullable=True)
    balance_after: int


class UsageNotice(CreatedAt, table=True):
    """A usage warning emailed once: (user, kind, period) says which crossing it was about."""

    __tablename__ = "usage_notices"
    __table_args__ = (UniqueConstraint("user_id", "kind", "period"),)

    id: str = id_field("unt")
    user_id: str = reference("users.id", ondelete="CASCADE")
    # "daily_limit_80", "daily_limit_100" or "credits_low".
    kind: str = Field(max_length=32)
    # The crossing: a UTC day for the daily limit, the refill it followed for low credits.
    period: str = Field(max_length=64)


# --- subscriptions ------------------------------------------------------------------------------


class SubscriptionBase(SQLModel):
    status: SubscriptionStatus = enum_field(SubscriptionStatus, SubscriptionStatus.INACTIVE)
    tier: Tier = enum_field(Tier, Tier.FREE)
    price_id: str | None = Field(default=None, max_length=255)
    current_period_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_at_period_end: bool = flag_field()


class Subscription(SubscriptionBase, Timestamps, table=True):
    """A user's Stripe customer and (at most one) subscription, mirrored from webhooks."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: str = id_field("sub")
    user_id: str = reference("users.id", ondelete="CASCADE")
    stripe_customer_id: str = Field(max_length=255, index=True)
    stripe_subscription_id: str | None = Field(default=None, max_length=255, unique=True)


# --- invoices -----------------------------------------------------------------------------------


class InvoiceBase(SQLModel):
    # Minor units (cents), as Stripe sends them.
    amount_due: int = 0
    amount_paid: int = 0
    currency: str = Field(default="usd", max_length=3)
    status: str = Field(max_length=32)
    hosted_invoice_url: str | None = Field(default=None, max_length=2048)
    period_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    period_end: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invoice(InvoiceBase, CreatedAt, table=True):
    __tablename__ = "invoices"

    id: str = id_field("inv")
    # Invoices are accounting records: they outlive a deleted account, like the ledger does.
    user_id: str | None = reference("users.id", ondelete="SET NULL", nullable=True, index=True)
    stripe_invoice_id: str = Field(max_length=255, unique=True)
    pdf_storage_key: str | None = Field(default=None, max_length=512)


# --- Stripe events ------------------------------------------------------------------------------


class StripeEvent(SQLModel, table=True):
    """A received webhook, stored once by its Stripe id so a replay is a no-op."""

    __tablename__ = "stripe_events"

    id: str = id_field("evt")
    event_id: str = Field(max_length=255, unique=True)
    type: str = Field(max_length=128)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=Text)
