"""Webhook endpoints, the events users receive, and the life of each delivery.

An event becomes one `webhook_deliveries` row per target in the transaction that caused it;
the `webhooks.deliver` job is sent only after that commit. Each attempt is claimed on the row
(`repository.claim`), sent by `services.webhooks.delivery`, and recorded here with its retry
scheduled, so a lost job or a killed worker leaves a due row that `sweep` sends again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlmodel import Session

from dreampixel.core.errors import Conflict, NotFound
from dreampixel.core.logging import get_logger
from dreampixel.core.models import (
    DeliveryStatus,
    Generation,
    GenerationWebhook,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSigningSecret,
    new_id,
    utcnow,
)
from dreampixel.core.settings import settings
from services.email import notifications
from services.jobs.service import enqueue_after_commit
from services.webhooks import repository
from services.webhooks.schemas import (
    EXCERPT_CHARS,
    FINAL_REQUEST_EVENTS,
    TEST_EVENT,
    RequestEvent,
    WebhookAttemptPublic,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
)

log = get_logger(__name__)

DELIVER_JOB = "webhooks.deliver"
# Each retry waits at most this long, however many came before.
MAX_RETRY_DELAY_SECONDS = 4 * 3600
# An attempt holds its delivery for twice the timeout plus this margin; after that the sweep resends it.
LEASE_MARGIN_SECONDS = 5


class EndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"
    title = "Webhook endpoint disabled"


@dataclass(frozen=True)
class Outgoing:
    """One attempt to send, as the delivery job needs it (plain values, no rows)."""

    delivery_id: str
    number: int
    url: str
    event_id: str
    body: str
    secret: str


@dataclass(frozen=True)
class AttemptResult:
    response_status: int | None
    latency_ms: int
    response_excerpt: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


# --- secrets ------------------------------------------------------------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"dreampixel.webhooks:" + settings.session_secret.get_secret_value().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _unseal(ciphertext: str) -> str:
    return _fernet().decrypt(ciphertext.encode()).decode()


def default_secret(session: Session, *, user_id: str) -> str:
    """The user's default secret (signs per-request webhooks), made on first use."""
    row = session.get(WebhookSigningSecret, user_id)
    if row is None:
        row = WebhookSigningSecret(user_id=user_id, secret_ciphertext=_seal(new_secret()))
        session.add(row)
        session.flush()
    return _unseal(row.secret_ciphertext)


# --- endpoints ----------------------------------------------------------------------------------


def endpoint_public(endpoint: WebhookEndpoint) -> WebhookEndpointPublic:
    return WebhookEndpointPublic.model_validate(endpoint, from_attributes=True)


def create_endpoint(session: Session, *, user_id: str, request: WebhookEndpointCreate) -> WebhookEndpointCreated:
    """Register an endpoint; its secret is in the answer and never shown again."""
    secret = new_secret()
    endpoint = WebhookEndpoint(user_id=user_id, url=request.url, description=request.description,
                               events=list(request.events), secret_ciphertext=_seal(secret))
    session.add(endpoint)
    session.flush()
    log.info("webhooks.endpoint_created", endpoint_id=endpoint.id, user_id=user_id)
    return WebhookEndpointCreated(**endpoint_public(endpoint).model_dump(), secret=secret)


def list_endpoints(session: Session, *, user_id: str) -> list[WebhookEndpointPublic]:
    return [endpoint_public(e) for e in repository.endpoints_of(session, user_id=user_id)]


def get_endpoint(session: Session, *, user_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The user's own endpoint; another user's is as invisible as a missing one."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.user_id != user_id:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def update_endpoint(session: Session, *, user_id: str, endpoint_id: str,
                    request: WebhookEndpointUpdate) -> WebhookEndpointPublic:
    """Change what was sent; enabling an endpoint again clears its failure count."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    if request.url is not None:
        endpoint.url = request.url
    if request.description is not None:
        endpoint.description = request.description
    if request.events is not None:
        endpoint.events = list(request.events)
    if request.enabled is not None and request.enabled != endpoint.enabled:
        endpoint.enabled = request.enabled
        endpoint.disabled_reason = None if request.enabled else "Disabled by its owner."
        endpoint.consecutive_failures = 0
    session.add(endpoint)
    session.flush()
    return endpoint_public(endpoint)


def delete_endpoint(session: Session, *, user_id: str, endpoint_id: str) -> None:
    """Remove the endpoint and its delivery log."""
    session.delete(get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id))
    session.flush()


def rotate_secret(session: Session, *, user_id: str, endpoint_id: str) -> str:
    """A new signing secret for the endpoint; the old one stops signing at once."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    secret = new_secret()
    endpoint.secret_ciphertext = _seal(secret)
    session.add(endpoint)
    session.flush()
    log.info("webhooks.secret_rotated", endpoint_id=endpoint.id)
    return secret


def send_test(session: Session, *, user_id: str, endpoint_id: str) -> WebhookDeliveryPublic:
    """Queue a `webhook.test` event to the endpoint, whatever its event filter."""
    endpoint = get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    if not endpoint.enabled:
        raise EndpointDisabled("Enable this endpoint before sending it a test event.")
    payload = _body(TEST_EVENT, {"endpoint_id": endpoint.id, "message": "A test event from Dream Pixel."})
    delivery = _queue(session, user_id=user_id, event_id=new_id("msg"), payload=payload, endpoint_id=endpoint.id)
    return delivery_public(session, delivery)


# --- events -------------------------------------------------------------------------------------


def _body(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "timestamp": utcnow().isoformat(), "data": data}


def _queue(session: Session, *, user_id: str, event_id: str, payload: dict[str, Any], endpoint_id: str | None = None,
           url: str | None = None) -> WebhookDelivery:
    """The delivery row, and its first attempt's job once the transaction commits."""
    delivery = WebhookDelivery(user_id=user_id, endpoint_id=endpoint_id, url=url, event_id=event_id,
                               event_type=payload["type"], payload=payload, next_attempt_at=utcnow())
    session.add(delivery)
    session.flush()
    enqueue_after_commit(session, DELIVER_JOB, delivery.id, job_id=job_id(delivery.id, 0))
    return delivery


def job_id(delivery_id: str, attempts_made: int) -> str:
    # One id per attempt: arq keeps finished jobs' ids for a while and would refuse a reused one.
    return f"{DELIVER_JOB}:{delivery_id}:{attempts_made}"


def emit(session: Session, *, user_id: str, type: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue event `type` to each of the user's enabled endpoints that want it; sent after the commit.

    `data` is the API's object for what changed (JSON values). Billing calls this for
    `subscription.updated`.
    """
    endpoints = repository.endpoints_wanting(session, user_id=user_id, event_type=type)
    if not endpoints:
        return []
    payload = _body(type, data)
    event_id = new_id("msg")
    return [_queue(session, user_id=user_id, event_id=event_id, payload=payload, endpoint_id=e.id) for e in endpoints]


def emit_generation(session: Session, generation: Generation, kind: str) -> None:
    """`generation.<kind>` to the owner's endpoints and to the generation's own `webhook`, if it wants it."""
    event_type = f"generation.{kind}"
    listeners = repository.generation_listeners(session, user_id=generation.user_id, generation_id=generation.id,
                                                kind=kind)
    if not listeners.endpoint_ids and listeners.request_url is None:
        return  # nobody listens: skip building the object
    # Imported here: services.generation imports this module to emit its events.
    from services.generation.schemas import generation_public

    payload = _body(event_type, generation_public(session, generation).json_dict())
    event_id = new_id("msg")
    for endpoint_id in listeners.endpoint_ids:
        _queue(session, user_id=generation.user_id, event_id=event_id, payload=payload, endpoint_id=endpoint_id)
    if listeners.request_url is not None:
        default_secret(session, user_id=generation.user_id)  # made now, so the first attempt can sign
        _queue(session, user_id=generation.user_id, event_id=event_id, payload=payload, url=listeners.request_url)


def attach_request_webhook(session: Session, generation: Generation, *, url: str,
                           events: Sequence[RequestEvent] | None) -> None:
    """Remember a generation's own `webhook` (default: its final events) and send it `queued` if asked."""
    wanted: list[str] = list(dict.fromkeys(events)) if events is not None else list(FINAL_REQUEST_EVENTS)
    session.add(GenerationWebhook(generation_id=generation.id, url=url, events=wanted))
    session.flush()
    if "queued" in wanted:
        default_secret(session, user_id=generation.user_id)
        payload = _body("generation.queued", _generation_data(session, generation))
        _queue(session, user_id=generation.user_id, event_id=new_id("msg"), payload=payload, url=url)


def _generation_data(session: Session, generation: Generation) -> dict[str, Any]:
    from services.generation.schemas import generation_public

    return generation_public(session, generation).json_dict()


# --- deliveries ---------------------------------------------------------------------------------


def claim(session: Session, *, delivery_id: str) -> Outgoing | None:
    """Take the delivery's next attempt if it is due; None when there is nothing to send now."""
    now = utcnow()
    delivery = repository.claim(session, delivery_id=delivery_id, now=now,
                                lease_seconds=2 * settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
    if delivery is None:
        return None
    if delivery.endpoint_id is not None:
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.response_excerpt = "Not sent: the endpoint is disabled."
            session.add(delivery)
            return None
        url, secret = endpoint.url, _unseal(endpoint.secret_ciphertext)
    else:
        url, secret = delivery.url or "", default_secret(session, user_id=delivery.user_id)
    body = json.dumps(delivery.payload, separators=(",", ":"), default=str)
    return Outgoing(delivery_id=delivery.id, number=delivery.attempt_count, url=url, event_id=delivery.event_id,
                    body=body, secret=secret)


def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter before the retry that follows attempt number `attempt`."""
    base = min(MAX_RETRY_DELAY_SECONDS, settings.webhook_retry_first_seconds * 2 ** (attempt - 1))
    return base * random.uniform(0.75, 1.25)


def record(session: Session, *, outgoing: Outgoing, result: AttemptResult) -> DeliveryStatus:
    """Log the attempt, then mark the delivery done, schedule its retry, or give up after the retry window."""
    now = utcnow()
    delivery = session.get(WebhookDelivery, outgoing.delivery_id)
    if delivery is None:
        return DeliveryStatus.FAILED
    excerpt = (result.response_excerpt or "")[:EXCERPT_CHARS] or None
    session.add(WebhookAttempt(delivery_id=delivery.id, number=outgoing.number, response_status=result.response_status,
                               latency_ms=result.latency_ms, response_excerpt=excerpt,
                               error=(result.error or None) and result.error[:255]))
    delivery.response_status = result.response_status
    delivery.response_excerpt = excerpt if result.error is None else (result.error or "")[:EXCERPT_CHARS]
    delivery.latency_ms = result.latency_ms
    delivery.last_attempt_at = now
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
    if result.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        if endpoint is not None and endpoint.consecutive_failures:
            endpoint.consecutive_failures = 0
            session.add(endpoint)
    else:
        if endpoint is not None:
            _count_failure(session, endpoint)
        delay = retry_delay(outgoing.number)
        if (endpoint is not None and not endpoint.enabled) or \
                now + timedelta(seconds=delay) > delivery.created_at + timedelta(hours=settings.webhook_retry_hours):
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            enqueue_after_commit(session, DELIVER_JOB, delivery.id, job_id=job_id(delivery.id, outgoing.number),
                                 defer_by=delay)
    session.add(delivery)
    session.flush()
    log.info("webhooks.attempt", delivery_id=delivery.id, attempt=outgoing.number, status=result.response_status,
             latency_ms=result.latency_ms, error=result.error, outcome=delivery.status.value)
    return delivery.status


def _count_failure(session: Session, endpoint: WebhookEndpoint) -> None:
    endpoint.consecutive_failures += 1
    if endpoint.enabled and endpoint.consecutive_failures >= settings.webhook_disable_after_failures:
        endpoint.enabled = False
        endpoint.disabled_reason = f"Disabled after {endpoint.consecutive_failures} failed deliveries in a row."
        owner = session.get(User, endpoint.user_id)
        if owner is not None:
            notifications.send_webhook_disabled(session, to=owner.email, name=owner.name, url=endpoint.url,
                                                failures=endpoint.consecutive_failures)
        log.warning("webhooks.endpoint_disabled", endpoint_id=endpoint.id, failures=endpoint.consecutive_failures)
    session.add(endpoint)


def sweep(session: Session, *, now: datetime | None = None) -> int:
    """Send the job again for every due pending delivery: a lost job, a killed worker or a job that
    failed loses nothing.

    Harmless when the job still exists: the claim succeeds once.
    """
    now = now or utcnow()
    due = repository.due(session, now=now)
    # A job that ended in an error before it could claim (its database connection dropped by a
    # PostgreSQL restart) keeps its id among arq's results for an hour, and the queue refuses the
    # id again: the sweep's own jobs carry the sweep's minute, so a due delivery goes out at the
    # next sweep whatever became of its last job. The claim still lets only one of them send.
    swept = now.strftime("%Y%m%d%H%M")
    for delivery_id, attempts_made in due:
        enqueue_after_commit(session, DELIVER_JOB, delivery_id,
                             job_id=f"{job_id(delivery_id, attempts_made)}:swept-{swept}")
    if due:
        log.info("webhooks.swept", due=len(due))
    return len(due)


def redeliver(session: Session, *, user_id: str, delivery_id: str) -> WebhookDeliveryPublic:
    """Send the user's delivery again now, whatever became of it."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.user_id != user_id:
        raise NotFound("No such webhook delivery.")
    if delivery.endpoint_id is not None:
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is not None and not endpoint.enabled:
            raise EndpointDisabled("Enable this endpoint before redelivering to it.")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    session.add(delivery)
    session.flush()
    # A fresh job id: a retry deferred under the usual id must not hold a redelivery back.
    enqueue_after_commit(session, DELIVER_JOB, delivery.id)
    return delivery_public(session, delivery)


def list_deliveries(session: Session, *, user_id: str, endpoint_id: str | None = None, cursor: str | None = None,
                    limit: int = 20) -> tuple[list[WebhookDeliveryPublic], str | None]:
    """Newest first; with `endpoint_id`, that endpoint's (which must be the user's)."""
    if endpoint_id is not None:
        get_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    rows = repository.deliveries(session, user_id=user_id, endpoint_id=endpoint_id, cursor=cursor, limit=limit)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return _publics(session, rows), (rows[-1].id if has_more and rows else None)


def delivery_public(session: Session, delivery: WebhookDelivery) -> WebhookDeliveryPublic:
    return _publics(session, [delivery])[0]


def _publics(session: Session, rows: list[WebhookDelivery]) -> list[WebhookDeliveryPublic]:
    attempts = repository.attempts_of(session, [d.id for d in rows])
    urls = {e.id: e.url for e in repository.endpoints_of(session, user_id=rows[0].user_id)} if rows else {}
    return [
        WebhookDeliveryPublic(
            id=d.id, endpoint_id=d.endpoint_id, url=d.url or urls.get(d.endpoint_id or "", ""), event_id=d.event_id,
            event_type=d.event_type, status=d.status, attempt_count=d.attempt_count,
            response_status=d.response_status, response_excerpt=d.response_excerpt, latency_ms=d.latency_ms,
            next_attempt_at=d.next_attempt_at, last_attempt_at=d.last_attempt_at, delivered_at=d.delivered_at,
            created_at=d.created_at,
            attempts=[WebhookAttemptPublic.model_validate(a, from_attributes=True) for a in attempts[d.id]],
        )
        for d in rows
    ]


def emit_credits_low(session: Session, *, user: User, balance: int, used: int, limit: int) -> None:
    """`credits.low` with the account object as GET /api/v1/account returns it, at the new balance."""
    if not repository.endpoints_wanting(session, user_id=user.id, event_type="credits.low"):
        return
    # Imported here: services.accounts.schemas reaches services.generation, which imports this module.
    from services.accounts.schemas import AccountPublic
    from services.generation.schemas import DailyUsage

    # The row's balance was just changed by an UPDATE the session has not read back: use `balance`.
    account = AccountPublic(id=user.id, email=user.email, name=user.name, tier=user.tier.value.lower(),
                            email_verified=user.email_verified_at is not None, credit_balance=balance,
                            daily=DailyUsage(limit=limit, used=used, remaining=max(0, limit - used), resets_at=None),
                            created_at=user.created_at)
    emit(session, user_id=user.id, type="credits.low", data=account.model_dump(mode="json"))
