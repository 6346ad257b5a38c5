"""The account emails, device names for the sessions list, and the edge's cookie handling."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlmodel import Session

from services.accounts import devices, sessions
from services.email import templates
from services.email.notifications import link
from states.edge import accounts
from tests.factories import create_user
from tests.fixtures.smtp import Inbox, SmtpServer
from workers import email as email_jobs

ALL_TEMPLATES = [
    templates.verify_email(to="a@example.test", name="Ada", link=link("/verify", token="t0k")),
    templates.reset_password(to="a@example.test", name="Ada", link=link("/reset", token="t0k")),
    templates.email_change(to="a@example.test", name="Ada", link=link("/verify", token="t0k")),
    templates.signup_attempt(to="a@example.test", login_link=link("/login"), reset_link=link("/forgot")),
    templates.generation_failed(to="a@example.test", name="Ada", prompt="a <b>cat</b>", reason="provider down",
                                link=link("/generate")),
    templates.credits_low(to="a@example.test", name="Ada", balance=1, link=link("/pricing")),
    templates.subscription_changed(to="a@example.test", name="Ada", plan="Pro", status="active",
                                   link=link("/account")),
]


@pytest.mark.parametrize("message", ALL_TEMPLATES, ids=lambda m: m.tags["kind"])
def test_every_email_has_text_and_escaped_html_with_absolute_links(message: templates.EmailMessage) -> None:
    assert message.subject and message.text.strip()
    assert message.html and message.html.startswith("<!doctype html>")
    assert "<b>cat</b>" not in message.html
    assert "http://" in message.text or "https://" in message.text


def test_a_queued_email_arrives_through_the_send_job(smtp_server: SmtpServer, smtp_inbox: Inbox,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from dreampixel.core.settings import settings

    monkeypatch.setattr(settings, "smtp_host", smtp_server.host)
    monkeypatch.setattr(settings, "smtp_port", smtp_server.port)
    monkeypatch.setattr(settings, "smtp_starttls", False)

    asyncio.run(email_jobs.send({"job_try": 1}, dataclasses.asdict(ALL_TEMPLATES[0])))

    received = smtp_inbox.wait_for(to="a@example.test")
    assert received.message["Subject"] == "Confirm your email for Dream Pixel"
    assert received.message.get_body(preferencelist=("html",)) is not None


@pytest.mark.parametrize(("agent", "name"), [
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
     "Safari/605.1.15", "Safari on macOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
     "Safari/537.36 Edg/126.0", "Edge on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/126.0 Mobile/15E148 Safari/604.1", "Chrome on iPhone"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox on Linux"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
     "Chrome on Android"),
    (None, "Unknown device"),
])
def test_devices_get_friendly_names(agent: str | None, name: str) -> None:
    assert devices.device_name(agent) == name


def test_the_viewer_comes_from_the_cookie_header_and_ends_with_the_session(session: Session) -> None:
    user = create_user(session, name="Ada")
    cookie = sessions.create(session, user_id=user.id, ip=None, user_agent=None)
    session.commit()

    viewer = accounts.current_viewer(f"theme=dark; dp_session={cookie}; other=1")

    assert viewer is not None and viewer.user_id == user.id and viewer.name == "Ada"
    accounts.sign_out(viewer)
    assert accounts.current_viewer(f"dp_session={cookie}") is None
    assert accounts.current_viewer("") is None
    assert accounts.current_viewer("dp_session=forged") is None
