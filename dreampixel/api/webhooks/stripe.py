"""`POST /api/stripe/webhooks`: Stripe's deliveries, verified, stored once and answered at once."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Request

from dreampixel.core.db import uow
from services.billing import webhooks
from services.billing.billing_schemas import WebhookReceipt

router = APIRouter(prefix="/stripe", tags=["billing"])


def _receive(payload: bytes, signature: str | None) -> bool:
    with uow() as session:
        return webhooks.receive(session, payload=payload, signature=signature)


@router.post("/webhooks")
async def stripe_webhook(request: Request,
                         stripe_signature: Annotated[str | None, Header()] = None) -> WebhookReceipt:
    """Receive one Stripe event: 400 on a bad or stale signature, else 200 (types not handled are ignored)."""
    payload = await request.body()
    handled = await asyncio.to_thread(_receive, payload, stripe_signature)
    return WebhookReceipt(ignored=not handled)
