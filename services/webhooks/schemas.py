"""What the webhook API returns and the account page's Webhooks tab is built from."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dreampixel.core.models import DeliveryStatus
from dreampixel.core.models.webhooks import URL_MAX_LENGTH, checked_webhook_url

EVENT_TYPES = (
    "generation.queued", "generation.started", "generation.succeeded", "generation.failed",
    "generation.canceled", "generation.expired", "credits.low", "subscription.updated",
)
EventType = Literal[
    "generation.queued", "generation.started", "generation.succeeded", "generation.failed",
    "generation.canceled", "generation.expired", "credits.low", "subscription.updated",
]
# A per-request `webhook_events_filter` names generation events by their last word, as Replicate does.
RequestEvent = Literal["queued", "started", "succeeded", "failed", "canceled", "expired"]
FINAL_REQUEST_EVENTS: tuple[RequestEvent, ...] = ("succeeded", "failed", "canceled", "expired")
TEST_EVENT = "webhook.test"
EXCERPT_CHARS = 1000


class WebhookEndpointCreate(BaseModel):
    """A new endpoint: where to send, which events (empty: all), a note for its owner."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=URL_MAX_LENGTH)
    description: str = Field(default="", max_length=255)
    events: list[EventType] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return checked_webhook_url(value)


class WebhookEndpointUpdate(BaseModel):
    """A partial change; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=URL_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=255)
    events: list[EventType] | None = None
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else checked_webhook_url(value)


class WebhookEndpointPublic(BaseModel):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointPublic):
    """The endpoint as just made, with its signing secret: shown this once."""

    secret: str


class WebhookSecret(BaseModel):
    """A freshly rotated signing secret: shown this once."""

    secret: str


class WebhookAttemptPublic(BaseModel):
    number: int
    response_status: int | None
    latency_ms: int | None
    response_excerpt: str | None
    error: str | None
    created_at: datetime


class WebhookDeliveryPublic(BaseModel):
    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint_id: str | None
    url: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    response_status: int | None
    response_excerpt: str | None
    latency_ms: int | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempts: list[WebhookAttemptPublic]


class WebhookEvent(BaseModel):
    """The body of every webhook: `data` is the object the API returns for the thing that changed."""

    type: str
    timestamp: datetime
    data: dict[str, Any]
