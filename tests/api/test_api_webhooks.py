"""/api/v1/webhook-endpoints, /webhook-deliveries and per-request webhooks, as a client sees them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from dreampixel.core.settings import settings
from services.api_keys import service as api_keys
from tests.fakes.webhook_receiver import Receiver
from tests.fixtures.api import new_key

MANAGE = (*api_keys.DEFAULT_SCOPES, "webhooks:manage")


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhooks_allow_loopback", True)
    monkeypatch.setattr(settings, "webhook_retry_first_seconds", 0.05)


async def key(*, scopes: tuple[str, ...] = MANAGE) -> dict[str, str]:
    plaintext, _user_id = await asyncio.to_thread(new_key, scopes=scopes)
    return {"x-api-key": plaintext}


async def settle(api: httpx.AsyncClient) -> None:
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]


async def create(api: httpx.AsyncClient, headers: dict[str, str], url: str, **body: Any) -> dict[str, Any]:
    response = await api.post("/api/v1/webhook-endpoints", headers=headers, json={"url": url, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


ROUTES = [
    ("POST", "/api/v1/webhook-endpoints"),
    ("GET", "/api/v1/webhook-endpoints"),
    ("GET", "/api/v1/webhook-endpoints/whe_x"),
    ("PATCH", "/api/v1/webhook-endpoints/whe_x"),
    ("DELETE", "/api/v1/webhook-endpoints/whe_x"),
    ("POST", "/api/v1/webhook-endpoints/whe_x/rotate-secret"),
    ("POST", "/api/v1/webhook-endpoints/whe_x/test"),
    ("GET", "/api/v1/webhook-endpoints/whe_x/deliveries"),
    ("POST", "/api/v1/webhook-deliveries/whd_x/retry"),
    ("GET", "/api/v1/webhook-deliveries"),
    ("GET", "/api/v1/webhook-secret"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_webhook_route_refuses_a_key_without_the_webhooks_manage_scope(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    headers = await key(scopes=api_keys.DEFAULT_SCOPES)
    body = {"url": "https://example.com/hook"} if method in ("POST", "PATCH") else None
    response = await api.request(method, path, headers=headers, json=body)
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


async def test_an_endpoint_gets_a_signed_test_event_and_lists_the_delivery_with_its_attempt(
    api: httpx.AsyncClient, webhook_receiver: Receiver
) -> None:
    headers = await key()
    endpoint = await create(api, headers, webhook_receiver.url, description="orders")
    assert endpoint["secret"].startswith("whsec_") and endpoint["enabled"] is True
    webhook_receiver.secret = endpoint["secret"]
    sent = await api.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=headers)
    assert sent.status_code == 202 and sent.json()["event_type"] == "webhook.test"
    [received] = await webhook_receiver.until(1)
    await settle(api)
    assert received.verified and received.body["type"] == "webhook.test"
    page = (await api.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=headers)).json()
    [delivery] = page["data"]
    assert delivery["status"] == "SUCCEEDED" and delivery["event_id"] == received.headers["webhook-id"]
    [attempt] = delivery["attempts"]
    assert attempt["response_status"] == 200 and attempt["latency_ms"] is not None
    listed = (await api.get("/api/v1/webhook-endpoints", headers=headers)).json()["data"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]


async def test_an_endpoint_on_a_private_address_is_refused(api: httpx.AsyncClient) -> None:
    headers = await key()
    response = await api.post("/api/v1/webhook-endpoints", headers=headers, json={"url": "http://10.0.0.7/hook"})
    assert response.status_code == 422 and response.json()["code"] == "unsafe_url"


async def test_loopback_targets_are_refused_unless_the_development_setting_allows_them(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhooks_allow_loopback", False)
    headers = await key()
    response = await api.post("/api/v1/webhook-endpoints", headers=headers, json={"url": "http://127.0.0.1:9/h"})
    assert response.status_code == 422 and response.json()["code"] == "unsafe_url"


async def test_an_endpoint_can_be_updated_disabled_and_deleted(api: httpx.AsyncClient, webhook_receiver: Receiver) -> None:
    headers = await key()
    endpoint = await create(api, headers, webhook_receiver.url)
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    changed = await api.patch(path, headers=headers, json={"events": ["generation.succeeded"], "description": "d",
                                                           "enabled": False})
    assert changed.status_code == 200
    assert changed.json()["events"] == ["generation.succeeded"] and changed.json()["enabled"] is False
    refused = await api.post(f"{path}/test", headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "webhook_endpoint_disabled"
    assert (await api.delete(path, headers=headers)).status_code == 204
    assert (await api.get(path, headers=headers)).status_code == 404


async def test_an_unknown_event_type_in_the_filter_is_a_validation_error(api: httpx.AsyncClient) -> None:
    headers = await key()
    response = await api.post("/api/v1/webhook-endpoints", headers=headers,
                              json={"url": "https://example.com/h", "events": ["generation.exploded"]})
    assert response.status_code == 422


async def test_a_rotated_secret_signs_the_next_delivery_and_the_old_one_no_longer_verifies(
    api: httpx.AsyncClient, webhook_receiver: Receiver
) -> None:
    headers = await key()
    endpoint = await create(api, headers, webhook_receiver.url)
    rotated = await api.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=headers)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    webhook_receiver.secret = endpoint["secret"]
    await api.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=headers)
    [received] = await webhook_receiver.until(1)
    assert not received.verified
    webhook_receiver.secret = new_secret
    await api.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=headers)
    _first, second = await webhook_receiver.until(2)
    assert second.verified


def _raw(received: Any) -> bytes:
    import json

    return json.dumps(received.body, separators=(",", ":")).encode()


async def test_a_failed_delivery_is_redelivered_by_hand(api: httpx.AsyncClient, webhook_receiver: Receiver,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_retry_hours", 0.05 / 3600)
    headers = await key()
    endpoint = await create(api, headers, webhook_receiver.url)
    webhook_receiver.answer(500)
    sent = (await api.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=headers)).json()
    await webhook_receiver.until(1)
    await settle(api)
    retried = await api.post(f"/api/v1/webhook-deliveries/{sent['id']}/retry", headers=headers)
    assert retried.status_code == 202
    first, second = await webhook_receiver.until(2)
    await settle(api)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    page = (await api.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=headers)).json()
    assert page["data"][0]["status"] == "SUCCEEDED"
    assert [a["response_status"] for a in page["data"][0]["attempts"]] == [500, 200]


async def test_another_users_endpoint_and_delivery_are_not_found(api: httpx.AsyncClient,
                                                                 webhook_receiver: Receiver) -> None:
    owner, stranger = await key(), await key()
    endpoint = await create(api, owner, webhook_receiver.url)
    sent = (await api.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=owner)).json()
    await webhook_receiver.until(1)
    for method, path in [("GET", f"/api/v1/webhook-endpoints/{endpoint['id']}"),
                         ("POST", f"/api/v1/webhook-endpoints/{endpoint['id']}/test"),
                         ("GET", f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"),
                         ("POST", f"/api/v1/webhook-deliveries/{sent['id']}/retry"),
                         ("DELETE", f"/api/v1/webhook-endpoints/{endpoint['id']}")]:
        assert (await api.request(method, path, headers=stranger)).status_code == 404, path


async def test_a_per_request_webhook_gets_the_events_it_asked_for_signed_with_the_default_secret(
    api: httpx.AsyncClient, webhook_receiver: Receiver
) -> None:
    headers = await key()
    submitted = await api.post("/api/v1/generations", headers=headers, json={
        "prompt": "a lighthouse", "width": 256, "height": 256, "webhook": webhook_receiver.url,
        "webhook_events_filter": ["queued", "succeeded"]})
    assert submitted.status_code == 202, submitted.text
    secret = (await api.get("/api/v1/webhook-secret", headers=headers)).json()["secret"]
    webhook_receiver.secret = secret
    received = await webhook_receiver.until(2, timeout=60)
    await settle(api)
    # Deliveries are independent jobs: their order is not promised, as with any webhook sender.
    by_type = {r.body["type"]: r for r in received}
    assert set(by_type) == {"generation.queued", "generation.succeeded"}
    for delivered in received:
        Webhook(secret).verify(_raw(delivered), delivered.headers)
    final = by_type["generation.succeeded"].body["data"]
    assert final["id"] == submitted.json()["id"] and final["object"] == "generation"
    assert final["status"] == "succeeded" and final["outputs"]
    logged = (await api.get("/api/v1/webhook-deliveries", headers=headers)).json()["data"]
    assert sorted(d["event_type"] for d in logged) == ["generation.queued", "generation.succeeded"]
    assert all(d["endpoint_id"] is None and d["url"] == webhook_receiver.url and d["status"] == "SUCCEEDED"
               for d in logged)


async def test_a_per_request_webhook_gets_only_the_final_event_by_default(
    api: httpx.AsyncClient, webhook_receiver: Receiver
) -> None:
    headers = await key()
    submitted = await api.post("/api/v1/generations", headers=headers, json={
        "prompt": "a harbour", "width": 256, "height": 256, "webhook": webhook_receiver.url})
    assert submitted.status_code == 202
    await webhook_receiver.until(1, timeout=60)
    await settle(api)
    assert [r.body["type"] for r in webhook_receiver.received] == ["generation.succeeded"]


async def test_a_per_request_webhook_on_a_private_address_refuses_the_submit(api: httpx.AsyncClient) -> None:
    headers = await key()
    response = await api.post("/api/v1/generations", headers=headers, json={
        "prompt": "a harbour", "webhook": "http://192.168.1.1/hook"})
    assert response.status_code == 422 and response.json()["code"] == "unsafe_url"
    listed = (await api.get("/api/v1/generations", headers=headers)).json()["data"]
    assert listed == [], "nothing was queued nor charged"


async def test_endpoints_receive_a_generations_status_changes(api: httpx.AsyncClient,
                                                              webhook_receiver: Receiver) -> None:
    headers = await key()
    endpoint = await create(api, headers, webhook_receiver.url)
    webhook_receiver.secret = endpoint["secret"]
    submitted = await api.post("/api/v1/generations", headers=headers,
                               json={"prompt": "a meadow", "width": 256, "height": 256})
    received = await webhook_receiver.until(3, timeout=60)
    await settle(api)
    assert sorted(r.body["type"] for r in received) == ["generation.queued", "generation.started",
                                                        "generation.succeeded"]
    assert all(r.verified and r.body["data"]["id"] == submitted.json()["id"] for r in received)


async def test_a_canceled_generation_sends_generation_canceled(api: httpx.AsyncClient,
                                                               webhook_receiver: Receiver) -> None:
    headers = await key()
    endpoint = await create(api, headers, webhook_receiver.url, events=["generation.canceled"])
    webhook_receiver.secret = endpoint["secret"]
    submitted = (await api.post("/api/v1/generations", headers=headers,
                                json={"prompt": "a vast city", "width": 2048, "height": 2048})).json()
    canceled = await api.post(f"/api/v1/generations/{submitted['id']}/cancel", headers=headers)
    assert canceled.status_code == 200
    [received] = await webhook_receiver.until(1, timeout=30)
    await settle(api)
    assert received.verified and received.body["type"] == "generation.canceled"
    assert received.body["data"]["id"] == submitted["id"] and received.body["data"]["status"] == "canceled"


async def test_a_submit_that_crosses_the_low_credit_line_sends_credits_low(
    api: httpx.AsyncClient, webhook_receiver: Receiver
) -> None:
    plaintext, _user_id = await asyncio.to_thread(new_key, scopes=MANAGE, credits_=settings.credits_low_threshold)
    headers = {"x-api-key": plaintext}
    endpoint = await create(api, headers, webhook_receiver.url, events=["credits.low"])
    webhook_receiver.secret = endpoint["secret"]
    submitted = await api.post("/api/v1/generations", headers=headers,
                               json={"prompt": "a pebble", "width": 256, "height": 256})
    assert submitted.status_code == 202
    [received] = await webhook_receiver.until(1, timeout=30)
    await settle(api)
    assert received.verified and received.body["type"] == "credits.low"
    data = received.body["data"]
    assert data["object"] == "account" and data["credit_balance"] == settings.credits_low_threshold - 1
