"""Outgoing webhooks: signed deliveries to a real receiver on loopback, retries, disabling, the SSRF guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from dreampixel.core.db import uow
from dreampixel.core.models import DeliveryStatus, User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from dreampixel.core.settings import settings
from services.jobs.queue import InProcessQueue
from services.webhooks import delivery
from services.webhooks import service as webhooks
from services.webhooks.schemas import WebhookEndpointCreate
from tests.factories import create_user
from tests.fakes.webhook_receiver import Receiver, start_receiver
from tests.fixtures.smtp import Inbox, SmtpServer
from workers import in_process


@pytest.fixture
async def queue(live_db: Engine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[InProcessQueue]:
    monkeypatch.setattr(settings, "webhooks_allow_loopback", True)
    monkeypatch.setattr(settings, "webhook_retry_first_seconds", 0.05)
    running = await in_process.start(reap_every=None)
    yield running
    await in_process.stop(running)


def register(url: str, *, events: list[str] | None = None) -> tuple[str, str, str]:
    """A user with an endpoint at `url`; returns (user id, endpoint id, secret)."""
    with uow() as session:
        user = create_user(session)
        created = webhooks.create_endpoint(session, user_id=user.id, request=WebhookEndpointCreate(
            url=url, events=events or []))  # type: ignore[arg-type]
        return user.id, created.id, created.secret


def emit(user_id: str, event_type: str = "credits.low") -> None:
    with uow() as session:
        webhooks.emit(session, user_id=user_id, type=event_type, data={"object": "account", "credit_balance": 2})


def deliveries_of(endpoint_id: str) -> list[WebhookDelivery]:
    with uow() as session:
        return list(session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)).all())


def attempts_of(delivery_id: str) -> list[WebhookAttempt]:
    with uow() as session:
        return list(session.exec(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                 .order_by(col(WebhookAttempt.number))).all())


async def settle(queue: InProcessQueue) -> None:
    await queue.join(timeout=15)


async def test_an_event_reaches_the_receiver_signed_so_standard_webhooks_verifies_it(
    queue: InProcessQueue, webhook_receiver: Receiver
) -> None:
    user_id, endpoint_id, secret = register(webhook_receiver.url)
    webhook_receiver.secret = secret
    await asyncio.to_thread(emit, user_id)
    await settle(queue)
    [received] = await webhook_receiver.until(1)
    assert received.verified
    assert received.body["type"] == "credits.low" and received.body["data"]["credit_balance"] == 2
    assert "timestamp" in received.body
    [row] = deliveries_of(endpoint_id)
    assert received.headers["webhook-id"] == row.event_id
    assert row.status is DeliveryStatus.SUCCEEDED and row.response_status == 200


async def test_an_endpoint_filtering_events_receives_only_those_it_asked_for(
    queue: InProcessQueue, webhook_receiver: Receiver
) -> None:
    user_id, endpoint_id, _secret = register(webhook_receiver.url, events=["generation.succeeded"])
    await asyncio.to_thread(emit, user_id, "credits.low")
    await settle(queue)
    assert deliveries_of(endpoint_id) == [] and webhook_receiver.received == []


async def test_a_receiver_failing_twice_gets_the_same_webhook_id_again_until_it_answers_2xx(
    queue: InProcessQueue, webhook_receiver: Receiver
) -> None:
    user_id, endpoint_id, secret = register(webhook_receiver.url)
    webhook_receiver.secret = secret
    webhook_receiver.answer(500, 503)
    await asyncio.to_thread(emit, user_id)
    received = await webhook_receiver.until(3)
    await settle(queue)
    assert len({r.headers["webhook-id"] for r in received}) == 1
    assert all(r.verified for r in received)
    [row] = deliveries_of(endpoint_id)
    assert row.status is DeliveryStatus.SUCCEEDED and row.attempt_count == 3
    attempts = attempts_of(row.id)
    assert [a.response_status for a in attempts] == [500, 503, 200]
    assert all(a.latency_ms is not None for a in attempts) and '"status": 500' in (attempts[0].response_excerpt or "")


def test_retries_back_off_exponentially_with_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_retry_first_seconds", 10.0)
    delays = [webhooks.retry_delay(n) for n in (1, 2, 3, 4)]
    for n, delay in enumerate(delays, start=1):
        assert 10 * 2 ** (n - 1) * 0.75 <= delay <= 10 * 2 ** (n - 1) * 1.25
    assert len({round(webhooks.retry_delay(1), 6) for _ in range(5)}) > 1, "jitter spreads retries"


async def test_a_delivery_still_failing_when_the_retry_window_ends_is_given_up(
    queue: InProcessQueue, webhook_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_retry_hours", 0.2 / 3600)  # 0.2 s
    user_id, endpoint_id, _secret = register(webhook_receiver.url)
    webhook_receiver.answer(then=500)
    await asyncio.to_thread(emit, user_id)
    await webhook_receiver.until(1)
    await asyncio.sleep(0.5)
    await settle(queue)
    [row] = deliveries_of(endpoint_id)
    assert row.status is DeliveryStatus.FAILED and row.next_attempt_at is None


async def test_an_endpoint_failing_again_and_again_is_disabled_and_its_owner_emailed(
    queue: InProcessQueue, webhook_receiver: Receiver, smtp_server: SmtpServer, smtp_inbox: Inbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "smtp_host", smtp_server.host)
    monkeypatch.setattr(settings, "smtp_port", smtp_server.port)
    monkeypatch.setattr(settings, "smtp_starttls", False)
    monkeypatch.setattr(settings, "webhook_disable_after_failures", 3)
    user_id, endpoint_id, _secret = register(webhook_receiver.url)
    webhook_receiver.answer(then=500)
    await asyncio.to_thread(emit, user_id)
    await webhook_receiver.until(3)
    await settle(queue)
    with uow() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        owner = session.get(User, user_id)
        assert owner is not None
        owner_email = owner.email
        assert endpoint.enabled is False and endpoint.disabled_reason
    mail = (await asyncio.to_thread(smtp_inbox.wait_for, to=owner_email)).message
    text = mail.get_body(("plain",))
    assert "disabled" in mail["Subject"] and text is not None and webhook_receiver.url in text.get_content()
    assert len(webhook_receiver.received) == 3, "nothing more is sent to a disabled endpoint"
    [row] = deliveries_of(endpoint_id)
    assert row.status is DeliveryStatus.FAILED


async def test_a_redirect_is_not_followed_so_it_cannot_lead_to_loopback(
    queue: InProcessQueue, webhook_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_retry_hours", 0.1 / 3600)
    inside = start_receiver()
    try:
        webhook_receiver.redirect_to(inside.url)
        user_id, endpoint_id, _secret = register(webhook_receiver.url)
        await asyncio.to_thread(emit, user_id)
        await webhook_receiver.until(1)
        await settle(queue)
        assert inside.received == []
        [row] = deliveries_of(endpoint_id)
        [first, *_] = attempts_of(row.id)
        assert first.response_status == 307 and first.error == "Redirects are not followed."
        assert row.status is not DeliveryStatus.SUCCEEDED
    finally:
        inside.server.shutdown()
        inside.server.server_close()


@pytest.mark.parametrize("url", ["http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://[::1]:9/",
                                 "http://127.0.0.1:9/hook", "http://192.168.0.10/x"])
async def test_a_private_or_internal_target_is_refused(url: str) -> None:
    from services.images.fetch import UnsafeUrl

    with pytest.raises(UnsafeUrl):
        await delivery.check_target(url)


async def test_the_target_is_checked_again_at_every_attempt(
    queue: InProcessQueue, webhook_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, endpoint_id, _secret = register(webhook_receiver.url)  # accepted while loopback was allowed
    monkeypatch.setattr(settings, "webhooks_allow_loopback", False)
    monkeypatch.setattr(settings, "webhook_retry_hours", 0.1 / 3600)
    await asyncio.to_thread(emit, user_id)
    await settle(queue)
    await asyncio.sleep(0.2)
    await settle(queue)
    assert webhook_receiver.received == []
    [row] = deliveries_of(endpoint_id)
    [first, *_] = attempts_of(row.id)
    assert first.response_status is None and "private or internal" in (first.error or "")


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    queue: InProcessQueue, webhook_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_timeout_seconds", 0.3)
    monkeypatch.setattr(settings, "webhook_retry_first_seconds", 30.0)
    user_id, endpoint_id, _secret = register(webhook_receiver.url)
    webhook_receiver.hang_next(2)
    await asyncio.to_thread(emit, user_id)
    await webhook_receiver.until(1)
    await asyncio.sleep(0.6)
    [row] = deliveries_of(endpoint_id)
    [first] = attempts_of(row.id)
    assert first.response_status is None and "0.3 s" in (first.error or "")
    assert row.status is DeliveryStatus.PENDING and row.next_attempt_at is not None


async def test_a_delivery_redelivered_by_hand_reaches_the_receiver_again_with_its_webhook_id(
    queue: InProcessQueue, webhook_receiver: Receiver
) -> None:
    user_id, endpoint_id, secret = register(webhook_receiver.url)
    webhook_receiver.secret = secret
    await asyncio.to_thread(emit, user_id)
    await webhook_receiver.until(1)
    await settle(queue)
    [row] = deliveries_of(endpoint_id)

    def redeliver() -> None:
        with uow() as session:
            webhooks.redeliver(session, user_id=user_id, delivery_id=row.id)
    await asyncio.to_thread(redeliver)
    first, second = await webhook_receiver.until(2)
    assert second.verified and second.headers["webhook-id"] == first.headers["webhook-id"]


async def test_a_redelivery_goes_out_at_once_even_while_a_retry_waits(
    queue: InProcessQueue, webhook_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_retry_first_seconds", 600.0)
    user_id, endpoint_id, _secret = register(webhook_receiver.url)
    webhook_receiver.answer(500)
    await asyncio.to_thread(emit, user_id)
    await webhook_receiver.until(1)
    await asyncio.sleep(0.2)
    [row] = deliveries_of(endpoint_id)
    assert row.status is DeliveryStatus.PENDING, "a retry is scheduled ten minutes out"

    def redeliver() -> None:
        with uow() as session:
            webhooks.redeliver(session, user_id=user_id, delivery_id=row.id)
    await asyncio.to_thread(redeliver)
    await webhook_receiver.until(2, timeout=5)
    await asyncio.sleep(0.2)
    [row] = deliveries_of(endpoint_id)
    assert row.status is DeliveryStatus.SUCCEEDED
