"""The account page's Webhooks section: endpoints and recent deliveries as display values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from dreampixel.core.db import uow
from dreampixel.core.errors import ValidationFailed
from services.accounts import reauth
from services.webhooks import service as webhooks
from services.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from states.edge.accounts import Viewer

RECENT_DELIVERIES = 20


@dataclass(frozen=True)
class EndpointRow:
    id: str
    url: str
    description: str
    events: str
    enabled: bool
    status: str


@dataclass(frozen=True)
class DeliveryRow:
    id: str
    event_type: str
    url: str
    status: str
    answer: str
    attempts: str
    created: str


@dataclass(frozen=True)
class WebhooksView:
    endpoints: list[EndpointRow]
    deliveries: list[DeliveryRow]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def view(viewer: Viewer) -> WebhooksView:
    with uow() as session:
        endpoints = [
            EndpointRow(id=e.id, url=e.url, description=e.description, events=", ".join(e.events) or "All events",
                        enabled=e.enabled, status="Enabled" if e.enabled else (e.disabled_reason or "Disabled"))
            for e in webhooks.list_endpoints(session, user_id=viewer.user_id)
        ]
        rows, _more = webhooks.list_deliveries(session, user_id=viewer.user_id, limit=RECENT_DELIVERIES)
        deliveries = [
            DeliveryRow(id=d.id, event_type=d.event_type, url=d.url, status=d.status.value.lower(),
                        answer=(f"HTTP {d.response_status}" if d.response_status is not None
                                else (d.response_excerpt or "waiting"))
                        + (f" · {d.latency_ms} ms" if d.latency_ms is not None else ""),
                        attempts=f"{d.attempt_count} attempt{'s' if d.attempt_count != 1 else ''}",
                        created=_when(d.created_at))
            for d in rows
        ]
        return WebhooksView(endpoints=endpoints, deliveries=deliveries)


def create_endpoint(viewer: Viewer, *, url: str, description: str, events: list[str]) -> str:
    """Returns the new endpoint's secret, shown once. Needs recent authentication."""
    try:
        request = WebhookEndpointCreate.model_validate({"url": url, "description": description, "events": events})
    except ValidationError as error:
        problems = [{"field": str(e["loc"][0]), "message": e["msg"].removeprefix("Value error, ")}
                    for e in error.errors()]
        raise ValidationFailed(problems[0]["message"], errors=problems) from error
    with uow() as session:
        reauth.require_recent(session, user_id=viewer.user_id, session_id=viewer.session_id)
        return webhooks.create_endpoint(session, user_id=viewer.user_id, request=request).secret


def set_enabled(viewer: Viewer, *, endpoint_id: str, enabled: bool) -> None:
    with uow() as session:
        webhooks.update_endpoint(session, user_id=viewer.user_id, endpoint_id=endpoint_id,
                                 request=WebhookEndpointUpdate(enabled=enabled))


def delete_endpoint(viewer: Viewer, *, endpoint_id: str) -> None:
    with uow() as session:
        webhooks.delete_endpoint(session, user_id=viewer.user_id, endpoint_id=endpoint_id)


def rotate_secret(viewer: Viewer, *, endpoint_id: str) -> str:
    """Returns the new secret, shown once. Needs recent authentication."""
    with uow() as session:
        reauth.require_recent(session, user_id=viewer.user_id, session_id=viewer.session_id)
        return webhooks.rotate_secret(session, user_id=viewer.user_id, endpoint_id=endpoint_id)


def send_test(viewer: Viewer, *, endpoint_id: str) -> None:
    with uow() as session:
        webhooks.send_test(session, user_id=viewer.user_id, endpoint_id=endpoint_id)


def redeliver(viewer: Viewer, *, delivery_id: str) -> None:
    with uow() as session:
        webhooks.redeliver(session, user_id=viewer.user_id, delivery_id=delivery_id)


def default_secret(viewer: Viewer) -> str:
    """The secret that signs the viewer's per-generation webhooks. Needs recent authentication."""
    with uow() as session:
        reauth.require_recent(session, user_id=viewer.user_id, session_id=viewer.session_id)
        return webhooks.default_secret(session, user_id=viewer.user_id)
