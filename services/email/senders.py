"""Which sender delivers mail: SMTP, else Resend, else the outbox directory."""

from __future__ import annotations

from dreampixel.core.settings import settings
from services.email.message import EmailSender
from services.email.outbox import OutboxSender
from services.email.resend import ResendSender
from services.email.smtp import SmtpSender


def get_sender() -> EmailSender:
    """The sender the settings call for; built per call so changed settings take effect."""
    if settings.smtp_enabled:
        return SmtpSender()
    if settings.resend_enabled:
        return ResendSender()
    return OutboxSender()
