"""TRUSTED_PROXIES decides who the client is (and whether it came over HTTPS), for Reflex and /api alike.

The in-process transport connects from 127.0.0.1, like a proxy on the same machine. The
address is observed where the app records it: the session a sign-in ticket opens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from dreampixel.api.app import create_api
from dreampixel.core.db import uow
from dreampixel.core.settings import Settings, settings
from services.accounts import sessions
from tests.factories import create_user


@pytest.fixture
async def client(live_db: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()),
                                 base_url="http://dreampixel.test") as http:
        yield http


def _ticket() -> tuple[str, str]:
    """A sign-in ticket and the browser binding it is bound to."""
    with uow() as session:
        ticket = sessions.issue_ticket(session, user_id=create_user(session).id)
        return ticket, sessions.bind_ticket(session, ticket)


async def _session_address(client: httpx.AsyncClient, forwarded_for: str) -> str | None:
    """Sign in through /api/auth/session with X-Forwarded-For; the address the new session records."""
    ticket, binding = _ticket()
    answered = await client.get("/api/auth/session", params={"ticket": ticket},
                                headers={"x-forwarded-for": forwarded_for},
                                cookies={sessions.TICKET_BINDING_COOKIE: binding})
    token = answered.cookies[sessions.SESSION_COOKIE]
    with uow() as session:
        resolved = sessions.resolve(session, token)
        assert resolved is not None
        return resolved[0].ip


async def test_without_trusted_proxies_a_forwarded_address_is_not_believed(client: httpx.AsyncClient) -> None:
    assert await _session_address(client, "203.0.113.5") == "127.0.0.1"


async def test_behind_a_proxy_count_the_address_it_forwarded_for_is_the_client(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "1")
    # The client wrote the first entry itself; the proxy appended the address it saw.
    assert await _session_address(client, "198.51.100.66, 203.0.113.5") == "203.0.113.5"


async def test_behind_trusted_proxy_networks_the_first_address_outside_them_is_the_client(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "127.0.0.1, 10.0.0.0/8")
    assert await _session_address(client, "198.51.100.66, 203.0.113.5, 10.1.2.3") == "203.0.113.5"


async def test_a_peer_outside_the_trusted_networks_is_the_client_whatever_it_forwards(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.0/8")
    assert await _session_address(client, "203.0.113.5") == "127.0.0.1"


async def test_hsts_is_sent_when_a_trusted_proxy_says_the_request_came_over_https(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "trusted_proxies", "127.0.0.1")
    over_https = await client.get("/api/health", headers={"x-forwarded-proto": "https"})
    over_http = await client.get("/api/health", headers={"x-forwarded-proto": "http"})
    assert over_https.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in over_http.headers


async def test_an_untrusted_peer_cannot_claim_https(client: httpx.AsyncClient) -> None:
    forged = await client.get("/api/health", headers={"x-forwarded-proto": "https"})
    assert "strict-transport-security" not in forged.headers


def test_a_malformed_trusted_proxies_setting_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.0/8, the-load-balancer")
