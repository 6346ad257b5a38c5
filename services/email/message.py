"""An email as the app writes it, the sender interface, and the error senders raise."""

from __future__ import annotations

import email.message
import email.utils
from dataclasses import dataclass, field
from typing import Protocol

from dreampixel.core.errors import DreamPixelError


@dataclass(frozen=True)
class EmailMessage:
    """One email to one person: plain text always, HTML optionally."""

    to: str
    subject: str
    text: str
    html: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class EmailSendError(DreamPixelError):
    """Sending failed; `retryable` says whether trying again later can help."""

    status_code = 502
    code = "email_send_failed"
    title = "Email could not be sent"

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class EmailSender(Protocol):
    name: str

    async def send(self, message: EmailMessage) -> str:
        """Deliver `message` and return its message id."""
        ...


def to_mime(message: EmailMessage, *, sender: str, domain: str | None = None) -> email.message.EmailMessage:
    """An RFC 5322 message: multipart/alternative when there is HTML, with a fresh Message-ID."""
    mime = email.message.EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    mime["Message-ID"] = email.utils.make_msgid(domain=domain or _domain_of(sender))
    for name, value in message.tags.items():
        mime[f"X-Dreampixel-Tag-{name}"] = value
    mime.set_content(message.text)
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html")
    return mime


def _domain_of(address: str) -> str:
    _, addr = email.utils.parseaddr(address)
    return addr.rpartition("@")[2] or "dreampixel.local"
