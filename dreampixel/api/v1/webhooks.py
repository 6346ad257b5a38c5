"""/api/v1/webhook-endpoints and /api/v1/webhook-deliveries: outgoing webhooks (scope `webhooks:manage`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response

from dreampixel.api.deps import ApiCaller, SessionDep, require
from dreampixel.core.db import uow
from dreampixel.core.schemas import Page
from services.webhooks import delivery
from services.webhooks import service as webhooks
from services.webhooks.schemas import (
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookSecret,
)

router = APIRouter(tags=["webhooks"])

Caller = Annotated[ApiCaller, require("webhooks:manage")]


@router.post("/webhook-endpoints", status_code=201)
async def create_endpoint(body: WebhookEndpointCreate, caller: Caller) -> WebhookEndpointCreated:
    """Register an endpoint; the answer holds its signing secret, shown this once."""
    await delivery.check_target(body.url)

    def create() -> WebhookEndpointCreated:
        with uow() as session:
            return webhooks.create_endpoint(session, user_id=caller.user_id, request=body)
    return await asyncio.to_thread(create)


@router.get("/webhook-endpoints")
def list_endpoints(session: SessionDep, caller: Caller) -> Page[WebhookEndpointPublic]:
    return Page[WebhookEndpointPublic].of(webhooks.list_endpoints(session, user_id=caller.user_id), None)


@router.get("/webhook-endpoints/{endpoint_id}")
def get_endpoint(endpoint_id: str, session: SessionDep, caller: Caller) -> WebhookEndpointPublic:
    return webhooks.endpoint_public(webhooks.get_endpoint(session, user_id=caller.user_id, endpoint_id=endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}")
async def update_endpoint(endpoint_id: str, body: WebhookEndpointUpdate, caller: Caller) -> WebhookEndpointPublic:
    """Change the URL, description, event filter, or enable and disable the endpoint."""
    if body.url is not None:
        await delivery.check_target(body.url)

    def update() -> WebhookEndpointPublic:
        with uow() as session:
            return webhooks.update_endpoint(session, user_id=caller.user_id, endpoint_id=endpoint_id, request=body)
    return await asyncio.to_thread(update)


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204, response_class=Response)
def delete_endpoint(endpoint_id: str, session: SessionDep, caller: Caller) -> Response:
    webhooks.delete_endpoint(session, user_id=caller.user_id, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret")
def rotate_secret(endpoint_id: str, session: SessionDep, caller: Caller) -> WebhookSecret:
    """A new signing secret, shown this once; the old one stops signing at once."""
    return WebhookSecret(secret=webhooks.rotate_secret(session, user_id=caller.user_id, endpoint_id=endpoint_id))


@router.post("/webhook-endpoints/{endpoint_id}/test", status_code=202)
def send_test(endpoint_id: str, session: SessionDep, caller: Caller) -> WebhookDeliveryPublic:
    """Queue a `webhook.test` event to the endpoint."""
    return webhooks.send_test(session, user_id=caller.user_id, endpoint_id=endpoint_id)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries")
def list_deliveries(
    endpoint_id: str,
    session: SessionDep,
    caller: Caller,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[WebhookDeliveryPublic]:
    """The endpoint's deliveries, newest first, each with every attempt (status, latency, answer excerpt)."""
    rows, next_cursor = webhooks.list_deliveries(session, user_id=caller.user_id, endpoint_id=endpoint_id,
                                                 cursor=cursor, limit=limit)
    return Page[WebhookDeliveryPublic].of(rows, next_cursor)


@router.get("/webhook-deliveries")
def list_all_deliveries(
    session: SessionDep,
    caller: Caller,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[WebhookDeliveryPublic]:
    """Every delivery of yours, newest first: endpoints' and per-generation `webhook` ones alike."""
    rows, next_cursor = webhooks.list_deliveries(session, user_id=caller.user_id, cursor=cursor, limit=limit)
    return Page[WebhookDeliveryPublic].of(rows, next_cursor)


@router.post("/webhook-deliveries/{delivery_id}/retry", status_code=202)
def retry_delivery(delivery_id: str, session: SessionDep, caller: Caller) -> WebhookDeliveryPublic:
    """Send a delivery again now (same `webhook-id`), whatever became of it."""
    return webhooks.redeliver(session, user_id=caller.user_id, delivery_id=delivery_id)


@router.get("/webhook-secret")
def get_default_secret(session: SessionDep, caller: Caller) -> WebhookSecret:
    """The secret that signs per-request webhooks (`webhook` on POST /generations); made on first use."""
    return WebhookSecret(secret=webhooks.default_secret(session, user_id=caller.user_id))
