"""/api/auth/session: a sign-in ticket becomes a session cookie only in the browser it was issued to."""

from __future__ import annotations

import httpx

from dreampixel.core.db import uow
from services.accounts import login, sessions
from services.accounts.service import create_user
from tests.fixtures.accounts import PASSWORD


def _ticket(email: str = "ada@example.test") -> tuple[str, str]:
    """A signed-in ticket and its browser binding, as the /login page's handler leaves them."""
    with uow() as session:
        create_user(session, email=email, password=PASSWORD, verified=True)
        result = login.sign_in(session, email=email, password=PASSWORD, address="10.20.0.1")
        assert result.ticket
        return result.ticket, sessions.bind_ticket(session, result.ticket)


async def test_the_ticket_with_its_binding_cookie_starts_a_session(api: httpx.AsyncClient) -> None:
    ticket, binding = _ticket()
    api.cookies.set(sessions.TICKET_BINDING_COOKIE, binding, path=sessions.TICKET_PATH)

    response = await api.get("/api/auth/session", params={"ticket": ticket, "next": "/gallery"})

    assert response.status_code == 303 and response.headers["location"] == "/gallery"
    assert response.cookies.get(sessions.SESSION_COOKIE)
    dropped = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{sessions.TICKET_BINDING_COOKIE}=")]
    assert dropped and "max-age=0" in dropped[0].lower(), "the binding is single use"


async def test_the_ticket_without_its_binding_cookie_is_refused(api: httpx.AsyncClient) -> None:
    ticket, _binding = _ticket()
    api.cookies.set(sessions.TICKET_BINDING_COOKIE, "a-binding-from-another-browser", path=sessions.TICKET_PATH)

    response = await api.get("/api/auth/session", params={"ticket": ticket})

    assert response.status_code == 303 and response.headers["location"] == "/login?expired=1"
    assert sessions.SESSION_COOKIE not in response.cookies
