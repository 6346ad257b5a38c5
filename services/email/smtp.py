"""Sending through an SMTP server; smtplib blocks, so it always runs in a thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.email.message import EmailMessage, EmailSendError, to_mime

log = get_logger(__name__)

SMTPS_PORT = 465


class SmtpSender:
    """STARTTLS when configured and offered, login when a user is set."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        user: str | None = None,
        password: str | None = None,
        starttls: bool | None = None,
        sender: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.host = host or settings.smtp_host
        self.port = port or settings.smtp_port
        self.user = settings.smtp_user if user is None else user
        self.password = settings.smtp_password.get_secret_value() if password is None else password
        self.starttls = settings.smtp_starttls if starttls is None else starttls
        self.sender = sender or settings.email_from
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> str:
        """Deliver through the SMTP server and return the Message-ID."""
        mime = to_mime(message, sender=self.sender)
        try:
            await asyncio.to_thread(self._deliver, mime)
        except smtplib.SMTPResponseException as exc:
            # 4xx replies are temporary by definition; 5xx (bad address, auth) will not heal.
            raise EmailSendError(
                f"SMTP server refused the message ({exc.smtp_code}).", retryable=400 <= exc.smtp_code < 500
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            temporary = all(400 <= code < 500 for code, _ in exc.recipients.values())
            raise EmailSendError("SMTP server refused the recipient.", retryable=temporary) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailSendError(f"SMTP delivery failed: {type(exc).__name__}.", retryable=True) from exc
        log.info("email.sent", backend=self.name, to=message.to, subject=message.subject)
        return str(mime["Message-ID"])

    def _deliver(self, mime: object) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.port == SMTPS_PORT:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if self.port != SMTPS_PORT and self.starttls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self.user:
                client.login(self.user, self.password)
            client.send_message(mime)  # type: ignore[arg-type]
