"""/api/auth: the HTTP side of signing in, where httpOnly cookies can be set."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from dreampixel.core.db import uow
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.accounts.navigation import safe_next

router = APIRouter(prefix="/auth", tags=["auth"])


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def set_session_cookie(response: RedirectResponse, token: str) -> None:
    response.set_cookie(
        sessions.SESSION_COOKIE, token, max_age=sessions.SESSION_DAYS * 86_400, httponly=True, samesite="lax",
        secure=settings.base_url.startswith("https://"), path="/",
    )


def clear_session_cookie(response: RedirectResponse) -> None:
    response.delete_cookie(sessions.SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=settings.base_url.startswith("https://"))


@router.get("/session", response_class=RedirectResponse, status_code=303)
def start_session(request: Request, ticket: str = "", next: str = "/generate") -> RedirectResponse:
    """Exchange a sign-in ticket for the session cookie, then go on to `next`.

    Only the browser the ticket was issued to holds its binding cookie, so a ticket link sent
    to someone else signs them in as nobody.
    """
    with uow() as session:
        token = sessions.redeem_ticket(session, ticket, binding=request.cookies.get(sessions.TICKET_BINDING_COOKIE),
                                       ip=client_ip(request), user_agent=request.headers.get("user-agent"))
    response = RedirectResponse("/login?expired=1" if token is None else safe_next(next), status_code=303)
    response.delete_cookie(sessions.TICKET_BINDING_COOKIE, path=sessions.TICKET_PATH)
    if token is not None:
        set_session_cookie(response, token)
    return response


@router.get("/signed-out", response_class=RedirectResponse, status_code=303)
def signed_out() -> RedirectResponse:
    """Drop the cookie of a session the page has already revoked."""
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response
