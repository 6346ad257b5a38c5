"""Email: one message type, three senders (SMTP, Resend, the outbox directory) and the account notices."""

from services.email.message import EmailMessage, EmailSender, EmailSendError
from services.email.outbox import OutboxSender
from services.email.senders import get_sender

__all__ = ["EmailMessage", "EmailSendError", "EmailSender", "OutboxSender", "get_sender"]
