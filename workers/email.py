"""Email jobs: send one message, retried with backoff; never lose it."""

from __future__ import annotations

from typing import Any

import structlog
from arq.worker import Retry

from dreampixel.core.settings import settings
from services.email import EmailMessage, EmailSendError, OutboxSender, get_sender
from services.jobs.queue import backoff_delay

log = structlog.get_logger(__name__)

MAX_TRIES = 5


async def send(ctx: dict[str, Any], message: dict[str, Any]) -> str:
    """Send `message` (EmailMessage fields). A message that cannot be sent lands in the outbox."""
    email = EmailMessage(**message)
    sender = get_sender()
    try:
        return await sender.send(email)
    except EmailSendError as error:
        attempt = int(ctx.get("job_try", 1))
        if error.retryable and attempt < MAX_TRIES:
            raise Retry(defer=backoff_delay(attempt, base=2.0, cap=300.0)) from error
        # Out of tries, or refused for good: keep the message where an operator can resend it.
        path = await OutboxSender(settings.outbox_dir / "undelivered").send(email)
        log.error("email.undelivered", to=email.to, subject=email.subject, sender=sender.name,
                  error=error.message, kept_at=path)
        return path
