"""Email senders against real servers: aiosmtpd for SMTP, a local HTTP server for Resend."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import SecretStr

from dreampixel.core.settings import Environment, settings
from services.email import outbox
from services.email.message import EmailMessage, EmailSendError
from services.email.outbox import OutboxSender
from services.email.resend import ResendSender
from services.email.senders import get_sender
from services.email.smtp import SmtpSender
from tests.fixtures.smtp import Inbox, SmtpServer

SENDER = "Dream Pixel <no-reply@dreampixel.test>"
RESEND_KEY = "re_test_key"
MESSAGE = EmailMessage(
    to="ada@example.com",
    subject="Confirm your email",
    text="Open http://localhost:3000/verify?token=abc to confirm.",
    html='<p><a href="http://localhost:3000/verify?token=abc">Confirm</a></p>',
    tags={"kind": "verification"},
)


# --- SMTP --------------------------------------------------------------------------------------
def _smtp_sender(server: SmtpServer, **overrides: Any) -> SmtpSender:
    options: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "user": "",
        "password": "",
        "starttls": True,
        "sender": SENDER,
        "timeout": 5,
    }
    return SmtpSender(**{**options, **overrides})


async def test_smtp_delivers_a_multipart_message_with_text_and_html(smtp_server: SmtpServer, smtp_inbox: Inbox) -> None:
    message_id = await _smtp_sender(smtp_server).send(MESSAGE)
    received = smtp_inbox.wait_for(to="ada@example.com")
    parsed = received.message
    assert parsed["From"] == SENDER
    assert parsed["To"] == "ada@example.com"
    assert parsed["Subject"] == "Confirm your email"
    assert parsed["Message-ID"] == message_id
    assert parsed.get_content_type() == "multipart/alternative"
    assert "verify?token=abc" in parsed.get_body(("plain",)).get_content()
    assert '<a href="http://localhost:3000/verify?token=abc">' in parsed.get_body(("html",)).get_content()


async def test_smtp_sends_text_only_mail_as_a_single_part(smtp_server: SmtpServer, smtp_inbox: Inbox) -> None:
    await _smtp_sender(smtp_server).send(EmailMessage(to="bob@example.com", subject="Hi", text="Plain."))
    parsed = smtp_inbox.wait_for(to="bob@example.com").message
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().strip() == "Plain."


async def test_smtp_logs_in_when_a_user_is_set(smtp_server: SmtpServer, smtp_inbox: Inbox) -> None:
    sender = _smtp_sender(smtp_server, user=smtp_server.user, password=smtp_server.password)
    await sender.send(EmailMessage(to="carol@example.com", subject="Hi", text="Logged in."))
    assert smtp_inbox.wait_for(to="carol@example.com")


async def test_smtp_wrong_password_is_not_retryable(smtp_server: SmtpServer) -> None:
    sender = _smtp_sender(smtp_server, user=smtp_server.user, password="wrong")
    with pytest.raises(EmailSendError) as caught:
        await sender.send(MESSAGE)
    assert caught.value.retryable is False


async def test_smtp_server_down_is_retryable() -> None:
    from tests.fixtures.processes import free_port

    sender = SmtpSender(host="127.0.0.1", port=free_port(), user="", password="", sender=SENDER, timeout=2)
    with pytest.raises(EmailSendError) as caught:
        await sender.send(MESSAGE)
    assert caught.value.retryable is True


# --- Resend ------------------------------------------------------------------------------------
@dataclass
class FakeResend:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def resend_api() -> Iterator[FakeResend]:
    """A local server answering POST /emails like Resend; the recipient picks the answer."""
    state = FakeResend(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            to = body["to"][0]
            if self.path != "/emails" or self.headers.get("Authorization") != f"Bearer {RESEND_KEY}":
                self._answer(401, {"name": "missing_api_key", "message": "Missing API key"})
            elif to.startswith("invalid"):
                self._answer(422, {"name": "validation_error", "message": "Invalid `to` field."})
            elif to.startswith("busy"):
                self._answer(429, {"message": "Too many requests"}, {"Retry-After": "2"})
            elif to.startswith("broken"):
                self._answer(500, {"message": "Internal server error"})
            elif to.startswith("slow"):
                state.release.wait(5)
                self._answer(200, {"id": "late"})
            else:
                self._answer(200, {"id": f"re_{len(state.requests)}"})

        def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def _resend(api: FakeResend, **overrides: Any) -> ResendSender:
    return ResendSender(**{"api_key": RESEND_KEY, "api_url": api.url, "sender": SENDER, **overrides})


async def test_resend_posts_the_message_and_returns_its_id(resend_api: FakeResend) -> None:
    message_id = await _resend(resend_api).send(MESSAGE)
    assert message_id == "re_1"
    request = resend_api.requests[0]
    assert request["path"] == "/emails"
    assert request["auth"] == f"Bearer {RESEND_KEY}"
    assert request["body"] == {
        "from": SENDER,
        "to": ["ada@example.com"],
        "subject": "Confirm your email",
        "text": MESSAGE.text,
        "html": MESSAGE.html,
        "tags": [{"name": "kind", "value": "verification"}],
    }


async def test_resend_422_is_not_retryable(resend_api: FakeResend) -> None:
    with pytest.raises(EmailSendError) as caught:
        await _resend(resend_api).send(EmailMessage(to="invalid@example.com", subject="s", text="t"))
    assert caught.value.retryable is False
    assert "Invalid `to` field" in caught.value.message


async def test_resend_500_is_retryable(resend_api: FakeResend) -> None:
    with pytest.raises(EmailSendError) as caught:
        await _resend(resend_api).send(EmailMessage(to="broken@example.com", subject="s", text="t"))
    assert caught.value.retryable is True


async def test_resend_429_is_retryable_after_the_advertised_delay(resend_api: FakeResend) -> None:
    with pytest.raises(EmailSendError) as caught:
        await _resend(resend_api).send(EmailMessage(to="busy@example.com", subject="s", text="t"))
    assert caught.value.retryable is True
    assert caught.value.retry_after == 2.0


async def test_resend_timeout_is_retryable(resend_api: FakeResend) -> None:
    with pytest.raises(EmailSendError) as caught:
        await _resend(resend_api, timeout=0.2).send(EmailMessage(to="slow@example.com", subject="s", text="t"))
    assert caught.value.retryable is True


async def test_resend_wrong_key_is_not_retryable(resend_api: FakeResend) -> None:
    with pytest.raises(EmailSendError) as caught:
        await _resend(resend_api, api_key="re_wrong").send(MESSAGE)
    assert caught.value.retryable is False


# --- outbox --------------------------------------------------------------------------------------
async def test_outbox_writes_a_parseable_eml(tmp_path: Path) -> None:
    message_id = await OutboxSender(tmp_path, sender=SENDER).send(MESSAGE)
    [path] = list(tmp_path.glob("*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message_id
    assert parsed["To"] == "ada@example.com"
    assert parsed["Subject"] == "Confirm your email"
    assert "verify?token=abc" in parsed.get_body(("plain",)).get_content()
    assert parsed.get_body(("html",)) is not None


async def test_outbox_file_names_sort_in_sending_order(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path, sender=SENDER)
    for n in range(3):
        await sender.send(EmailMessage(to="a@example.com", subject=f"n{n}", text="t"))
    subjects = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"]
        for p in sorted(tmp_path.glob("*.eml"))
    ]
    assert subjects == ["n0", "n1", "n2"]


async def test_outbox_logs_recipient_subject_path_and_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "environment", Environment.DEVELOPMENT)
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(outbox, "log", log)
    await OutboxSender(tmp_path, sender=SENDER).send(MESSAGE)
    [call] = [c for c in log.calls if c.args == ("email.outbox",)]
    assert call.method_name == "info"
    assert call.kwargs["to"] == "ada@example.com"
    assert call.kwargs["subject"] == "Confirm your email"
    assert call.kwargs["path"].endswith(".eml")
    assert call.kwargs["links"] == ["http://localhost:3000/verify?token=abc"]


@pytest.mark.parametrize("environment", [Environment.TEST, Environment.PRODUCTION])
async def test_outbox_logs_links_without_their_tokens_outside_development(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: Environment) -> None:
    monkeypatch.setattr(settings, "environment", environment)
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(outbox, "log", log)
    await OutboxSender(tmp_path, sender=SENDER).send(MESSAGE)
    [call] = [c for c in log.calls if c.args == ("email.outbox",)]
    assert call.kwargs["links"] == ["http://localhost:3000/verify?token=redacted"]
    assert "abc" not in repr(call.kwargs)


# --- choosing the sender ------------------------------------------------------------------------
def test_get_sender_is_the_outbox_when_nothing_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "smtp_host", "")
    monkeypatch.setattr(settings, "resend_api_key", SecretStr(""))
    assert get_sender().name == "outbox"


def test_get_sender_is_resend_when_only_a_resend_key_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "smtp_host", "")
    monkeypatch.setattr(settings, "resend_api_key", SecretStr(RESEND_KEY))
    assert get_sender().name == "resend"


def test_get_sender_prefers_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "resend_api_key", SecretStr(RESEND_KEY))
    assert get_sender().name == "smtp"
