"""Email: one message type and three senders (SMTP, Resend, the outbox directory)."""

from services.email.message import EmailMessage, EmailSender, EmailSendError
from services.email.outbox import OutboxSender
from services.email.senders import get_sender

__all__ = ["EmailMessage", "EmailSendError", "EmailSender", "OutboxSender", "get_sender"]
