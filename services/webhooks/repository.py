"""Every query of the webhooks domain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CompoundSelect, bindparam, null, union_all, update
from sqlmodel import Session, col, select

from dreampixel.core.models import (
    DeliveryStatus,
    GenerationWebhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def endpoints_of(session: Session, *, user_id: str) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id).order_by(col(WebhookEndpoint.id))
    return list(session.exec(query).all())


@dataclass(frozen=True)
class GenerationListeners:
    """Who hears a generation's event: the owner's endpoints that want it, and the generation's own
    `webhook` (its URL, when it wants this event)."""

    endpoint_ids: list[str]
    request_url: str | None


# One statement for both (built once: it runs on every status change of every generation).
_LISTENERS: CompoundSelect = union_all(
    select(col(WebhookEndpoint.id).label("endpoint_id"), col(WebhookEndpoint.events).label("events"),
           null().label("url"))
    .where(col(WebhookEndpoint.user_id) == bindparam("user_id")).where(col(WebhookEndpoint.enabled).is_(True)),
    select(null(), col(GenerationWebhook.events), col(GenerationWebhook.url))
    .where(col(GenerationWebhook.generation_id) == bindparam("generation_id")),
)


def generation_listeners(session: Session, *, user_id: str, generation_id: str, kind: str) -> GenerationListeners:
    """Who wants `generation.<kind>` of this generation, read in one query."""
    endpoint_ids, request_url = [], None
    for endpoint_id, events, url in session.execute(_LISTENERS, {"user_id": user_id, "generation_id": generation_id}):
        if endpoint_id is not None and (not events or f"generation.{kind}" in events):
            endpoint_ids.append(endpoint_id)
        elif endpoint_id is None and kind in events:
            request_url = url
    return GenerationListeners(endpoint_ids=sorted(endpoint_ids), request_url=request_url)


def endpoints_wanting(session: Session, *, user_id: str, event_type: str) -> list[WebhookEndpoint]:
    """The user's enabled endpoints whose filter lets `event_type` through (an empty filter lets all)."""
    query = (select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)
             .where(col(WebhookEndpoint.enabled).is_(True)).order_by(col(WebhookEndpoint.id)))
    return [e for e in session.exec(query).all() if not e.events or event_type in e.events]


def claim(session: Session, *, delivery_id: str, now: datetime, lease_seconds: float) -> WebhookDelivery | None:
    """Take a due pending delivery for one attempt: count it and push its next try past the lease.

    A compare-and-set, so two jobs for one delivery never both send; a worker killed mid-attempt
    leaves the row due again once the lease passes, for the sweep to find.
    """
    statement = (
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id)
        .where(col(WebhookDelivery.status) == DeliveryStatus.PENDING)
        .where(col(WebhookDelivery.next_attempt_at) <= now)
        .values(attempt_count=WebhookDelivery.attempt_count + 1, last_attempt_at=now,
                next_attempt_at=now + timedelta(seconds=lease_seconds))
        .returning(WebhookDelivery)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return session.execute(statement).scalars().one_or_none()


def due(session: Session, *, now: datetime, limit: int = 1000) -> Sequence[tuple[str, int]]:
    """(id, attempt_count) of pending deliveries whose next attempt is due."""
    query = (select(WebhookDelivery.id, WebhookDelivery.attempt_count)
             .where(col(WebhookDelivery.status) == DeliveryStatus.PENDING)
             .where(col(WebhookDelivery.next_attempt_at) <= now)
             .order_by(col(WebhookDelivery.next_attempt_at)).limit(limit))
    return session.exec(query).all()


def deliveries(session: Session, *, user_id: str, endpoint_id: str | None = None, cursor: str | None = None,
               limit: int = 20) -> list[WebhookDelivery]:
    """The user's deliveries, newest first (ids sort by creation), one more than `limit`."""
    query = select(WebhookDelivery).where(WebhookDelivery.user_id == user_id)
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if cursor:
        query = query.where(col(WebhookDelivery.id) < cursor)
    return list(session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit + 1)).all())


def attempts_of(session: Session, delivery_ids: Sequence[str]) -> dict[str, list[WebhookAttempt]]:
    found: dict[str, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    query = (select(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
             .order_by(col(WebhookAttempt.number)))
    for attempt in session.exec(query).all():
        found[attempt.delivery_id].append(attempt)
    return found
