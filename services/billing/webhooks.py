"""Stripe webhooks: verify, keep the allowed types once by event id, handle them in a job.

Intake does the least that makes the event safe (signature, one INSERT that does nothing on a
replay) so Stripe is answered at once; `handle` runs in the `billing.handle_event` job and
re-reads every object from the Stripe API, so deliveries in any order, or twice, end in
Stripe's current state.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from dreampixel.core.logging import get_logger
from dreampixel.core.models import StripeEvent, utcnow
from dreampixel.core.models.base import new_id
from services.billing import invoices, stripe, subscriptions
from services.jobs.service import enqueue_after_commit

log = get_logger(__name__)

HANDLE_JOB = "billing.handle_event"
# A stored event still untried after this long lost its job.
LOST_AFTER = timedelta(minutes=5)
HANDLED_TYPES = frozenset({
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.finalized",
})


def receive(session: Session, *, payload: bytes, signature: str | None) -> bool:
    """Verify and store one delivery; True when the type is handled (new or a replay), False if ignored."""
    stripe.verify_event(payload, signature)
    try:
        event = json.loads(payload)
        event_id, kind = str(event["id"]), str(event["type"])
    except (ValueError, KeyError, TypeError) as exc:
        raise stripe.InvalidSignature("The payload is not a Stripe event.") from exc
    if kind not in HANDLED_TYPES:
        log.info("billing.event_ignored", event_id=event_id, type=kind)
        return False
    values = {"id": new_id("evt"), "event_id": event_id, "type": kind, "payload": event, "received_at": utcnow()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(StripeEvent).values(**values)
                 .on_conflict_do_nothing(index_elements=["event_id"]).returning(col(StripeEvent.id)))
    stored = session.execute(statement).scalar_one_or_none()
    if stored is not None:
        enqueue_after_commit(session, HANDLE_JOB, stored)
        log.info("billing.event_received", event_id=event_id, type=kind)
    return True


def handle(session: Session, event_row_id: str) -> str:
    """Apply one stored event; a handled event is skipped. Returns what was done."""
    row = session.exec(select(StripeEvent).where(col(StripeEvent.id) == event_row_id).with_for_update()).first()
    if row is None:
        return "missing"
    if row.handled_at is not None:
        return "already handled"
    obj: dict[str, Any] = row.payload["data"]["object"]
    if isinstance(obj.get("customer"), str):
        # Handlers of one customer run one at a time, each reading Stripe only once it holds the
        # lock: the last to commit read Stripe last, so a slower, older read never wins.
        subscriptions.lock_customer(session, obj["customer"])
    if row.type == "checkout.session.completed":
        checkout = stripe.retrieve_checkout_session(obj["id"])
        if checkout.get("subscription"):
            subscriptions.sync_subscription(session, subscription=stripe.retrieve_subscription(checkout["subscription"]))
        subscriptions.grant_for_checkout(session, checkout=checkout)
    elif row.type.startswith("customer.subscription."):
        subscriptions.sync_subscription(session, subscription=stripe.retrieve_subscription(obj["id"]))
    elif row.type.startswith("invoice."):
        _handle_invoice(session, stripe.retrieve_invoice(obj["id"]))
    row.handled_at, row.error = utcnow(), None
    session.add(row)
    log.info("billing.event_handled", event_id=row.event_id, type=row.type)
    return "handled"


def _handle_invoice(session: Session, invoice: dict[str, Any]) -> None:
    user_id = subscriptions.user_of_customer(session, invoice.get("customer"))
    if user_id is None:
        log.warning("billing.unknown_customer", customer=invoice.get("customer"), invoice=invoice["id"])
        return
    subscription_id = stripe.invoice_subscription(invoice)
    if subscription_id:
        # The tier follows the subscription as it is now, whichever event reached us first.
        subscriptions.sync_subscription(session, subscription=stripe.retrieve_subscription(subscription_id))
    invoices.mirror(session, invoice=invoice, user_id=user_id)
    subscriptions.grant_for_invoice(session, invoice=invoice)


def record_failure(session: Session, event_row_id: str, error: str) -> None:
    """Keep the last error on the event row, where an operator looks for it."""
    session.execute(update(StripeEvent).where(col(StripeEvent.id) == event_row_id).values(error=error[:4000]))


def redispatch_lost(session: Session, *, older_than: timedelta = LOST_AFTER, limit: int = 100) -> int:
    """Send again the events never tried (their job was lost: no queue, a crash before it ran).

    Events that failed keep their error and are retried by their own job, not here.
    """
    cutoff = utcnow() - older_than
    ids = session.exec(select(col(StripeEvent.id)).where(
        col(StripeEvent.handled_at).is_(None), col(StripeEvent.error).is_(None),
        col(StripeEvent.received_at) < cutoff).order_by(col(StripeEvent.received_at)).limit(limit)).all()
    for event_row_id in ids:
        enqueue_after_commit(session, HANDLE_JOB, event_row_id, job_id=f"{HANDLE_JOB}:{event_row_id}")
    if ids:
        log.warning("billing.events_redispatched", count=len(ids))
    return len(ids)
