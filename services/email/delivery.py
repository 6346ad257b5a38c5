"""Delivering one queued message: retried with backoff while that can help, and never lost."""

from __future__ import annotations

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.email.message import EmailMessage, EmailSendError
from services.email.outbox import OutboxSender
from services.email.senders import get_sender
from services.jobs.queue import backoff_delay

log = get_logger(__name__)

MAX_TRIES = 5


class SendLater(Exception):
    """A retryable failure with tries left: send again after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"send again in {delay:.1f} s")
        self.delay = delay


async def deliver(email: EmailMessage, *, attempt: int) -> str:
    """Send `email` on its `attempt`-th try (1 is the first)."""
    sender = get_sender()
    try:
        return await sender.send(email)
    except EmailSendError as error:
        if error.retryable and attempt < MAX_TRIES:
            raise SendLater(backoff_delay(attempt, base=2.0, cap=300.0)) from error
        # Out of tries, or refused for good: keep the message where an operator can resend it.
        path = await OutboxSender(settings.outbox_dir / "undelivered").send(email)
        log.error("email.undelivered", to=email.to, subject=email.subject, sender=sender.name,
                  error=error.message, kept_at=path)
        return path
