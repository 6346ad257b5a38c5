"""The default sender: every email becomes an .eml file in the outbox and a log line.

The log line carries the message's links so development can click through sign-up and
reset without opening files; outside development their query values (tokens) are redacted,
because logs travel further than the outbox directory.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import Environment, settings
from services.email.message import EmailMessage, to_mime

log = get_logger(__name__)

_LINK_RE = re.compile(r"https?://[^\s<>\"')]+")
REDACTED = "redacted"


def loggable_link(link: str) -> str:
    """`link` as it may be logged: whole in development, with every query value redacted elsewhere."""
    if settings.environment is Environment.DEVELOPMENT:
        return link
    parts = urlsplit(link)
    query = urlencode([(name, REDACTED) for name, _value in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit(parts._replace(query=query, fragment=""))


class OutboxSender:
    """Writes messages to a directory so development needs no mail server."""

    name = "outbox"

    def __init__(self, directory: Path | None = None, *, sender: str | None = None) -> None:
        self.directory = directory or settings.outbox_dir
        self.sender = sender or settings.email_from

    async def send(self, message: EmailMessage) -> str:
        """Write `message` as an .eml file; the log line carries its links (verification, reset)."""
        mime = to_mime(message, sender=self.sender)
        # A UTC timestamp first so `ls` lists the outbox in the order mail was sent.
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
        path = self.directory / name
        await asyncio.to_thread(_write_atomic, path, mime.as_bytes())
        log.info(
            "email.outbox",
            to=message.to,
            subject=message.subject,
            path=str(path),
            links=[loggable_link(link) for link in _LINK_RE.findall(message.text)],
        )
        return str(mime["Message-ID"])


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
