"""Email jobs: send one message, retried with backoff; never lose it."""

from __future__ import annotations

from typing import Any

from arq.worker import Retry

from services.email import EmailMessage, delivery


async def send(ctx: dict[str, Any], message: dict[str, Any]) -> str:
    """Send `message` (EmailMessage fields). A message that cannot be sent lands in the outbox."""
    try:
        return await delivery.deliver(EmailMessage(**message), attempt=int(ctx.get("job_try", 1)))
    except delivery.SendLater as later:
        raise Retry(defer=later.delay) from later
