"""Outgoing webhooks: the endpoints developers register and every delivery attempt to them."""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from dreampixel.core.models.base import (
    CreatedAt,
    JSONType,
    Timestamps,
    UTCDateTime,
    counter_field,
    enum_field,
    flag_field,
    id_field,
    reference,
)
from dreampixel.core.models.enums import DeliveryStatus

URL_MAX_LENGTH = 2048


def checked_webhook_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("the URL must start with https:// (or http://)")
    return value


# --- endpoints ----------------------------------------------------------------------------------


class WebhookEndpointBase(SQLModel):
    url: str = Field(max_length=URL_MAX_LENGTH)
    description: str = Field(default="", max_length=255)
    # Event types this endpoint wants ("generation.succeeded", ...); empty means all of them.
    events: list[str] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    enabled: bool = flag_field(default=True)


class WebhookEndpoint(WebhookEndpointBase, Timestamps, table=True):
    __tablename__ = "webhook_endpoints"

    id: str = id_field("whe")
    user_id: str = reference("users.id", ondelete="CASCADE", index=True)
    # The signing secret, encrypted with the app's key: a database dump alone cannot forge
    # signatures. The plaintext is shown once, when the endpoint is made.
    secret_ciphertext: str = Field(sa_type=Text)
    disabled_reason: str | None = Field(default=None, max_length=255)
    consecutive_failures: int = counter_field()


class WebhookEndpointPublic(WebhookEndpointBase):
    id: str
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


# --- deliveries ---------------------------------------------------------------------------------


class WebhookDeliveryBase(SQLModel):
    # The stable `webhook-id`: every retry of one event carries the same one, so receivers dedupe.
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=128)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)


class WebhookDelivery(WebhookDeliveryBase, CreatedAt, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    id: str = id_field("whd")
    # None for a per-request webhook (`webhook` on POST /generations): `url` is its target then.
    endpoint_id: str | None = reference("webhook_endpoints.id", ondelete="CASCADE", nullable=True)
    user_id: str = reference("users.id", ondelete="CASCADE", index=True)
    url: str | None = Field(default=None, max_length=URL_MAX_LENGTH)
    status: DeliveryStatus = enum_field(DeliveryStatus, DeliveryStatus.PENDING)
    attempt_count: int = counter_field()
    response_status: int | None = None
    # The first bytes of the receiver's answer, enough to debug a failure from the dashboard.
    response_excerpt: str | None = Field(default=None, sa_type=Text)
    latency_ms: int | None = None
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(CreatedAt, table=True):
    """One HTTP attempt of a delivery: what the receiver answered and how fast."""

    __tablename__ = "webhook_attempts"

    id: str = id_field("wha")
    delivery_id: str = reference("webhook_deliveries.id", ondelete="CASCADE", index=True)
    number: int = counter_field(default=1)
    response_status: int | None = None
    latency_ms: int | None = None
    response_excerpt: str | None = Field(default=None, sa_type=Text)
    # Why no answer was read (timeout, refused address, connection error); None when one was.
    error: str | None = Field(default=None, max_length=255)


class WebhookSigningSecret(CreatedAt, table=True):
    """A user's default secret: it signs per-request webhooks. Made on first use, encrypted like an endpoint's."""

    __tablename__ = "webhook_signing_secrets"

    user_id: str = reference("users.id", ondelete="CASCADE", primary_key=True)
    secret_ciphertext: str = Field(sa_type=Text)


class GenerationWebhook(CreatedAt, table=True):
    """The `webhook` URL a generation was submitted with, and the events it wants."""

    __tablename__ = "generation_webhooks"

    generation_id: str = reference("generations.id", ondelete="CASCADE", primary_key=True)
    url: str = Field(max_length=URL_MAX_LENGTH)
    events: list[str] = Field(default_factory=list, sa_type=JSONType, nullable=False)
