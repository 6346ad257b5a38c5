"""The sign-up path through the page states: signing up signs in, and the emailed link, opened in
the browser that signed up, lands on Generate with a welcome."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import httpx
import reflex as rx
from reflex.istate.data import RouterData

from services.accounts import sessions
from states.account import AccountState
from states.auth import AuthState
from states.edge import accounts
from states.generate import GenerateState
from tests.fixtures.accounts import PASSWORD, Outbox

StateT = TypeVar("StateT", bound=rx.State)
NEWCOMER = "newcomer@example.test"


def state_for(cls: type[StateT], cookie: str | None = None, *, path: str,
              query: dict[str, str] | None = None) -> StateT:
    """A page state as the server builds it for a browser sending this session cookie."""
    root = rx.State(_reflex_internal_init=True)
    query = query or {}
    as_path = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    router_data: dict[str, Any] = {
        "headers": {"cookie": f"{sessions.SESSION_COOKIE}={cookie}" if cookie else ""},
        "pathname": path, "asPath": as_path, "query": query, "token": "client", "sid": "sid", "ip": "198.51.100.9",
    }
    root.router_data = router_data
    root.router = RouterData.from_router_data(router_data)
    state = root.get_substate(cls.get_full_name().split("."))
    assert isinstance(state, cls)
    return state


async def call(handler: Any, state: rx.State, *args: Any) -> list[Any]:
    result = handler.fn(state, *args)
    if hasattr(result, "__anext__"):
        return [item async for item in result]
    return [await result] if hasattr(result, "__await__") else [result]


async def sign_up(http: httpx.AsyncClient, email: str = NEWCOMER) -> tuple[AuthState, str | None]:
    """Submit /signup and follow the page's redirect as the browser does; (state, session cookie or None)."""
    state = state_for(AuthState, path="/signup")
    updates = await call(AuthState.sign_up, state, {"email": email, "password": PASSWORD, "name": "Ada Newcomer"})
    script = " ".join(repr(update) for update in updates if update is not None)
    ticket, binding = re.search(r"ticket=([\w-]+)", script), re.search(r"dp_signin=([\w-]+)", script)
    if ticket is None or binding is None:
        return state, None
    http.cookies.clear()
    http.cookies.set("dp_signin", binding.group(1), path="/api/auth/session")
    response = await http.get("/api/auth/session", params={"ticket": ticket.group(1), "next": "/generate"})
    assert response.headers["location"] == "/generate"
    return state, response.cookies.get(sessions.SESSION_COOKIE)


async def test_signing_up_signs_the_new_account_in(api: httpx.AsyncClient, outbox: Outbox) -> None:
    _, cookie = await sign_up(api)

    viewer = accounts.current_viewer(f"{sessions.SESSION_COOKIE}={cookie}") if cookie else None
    assert viewer is not None and viewer.email == NEWCOMER and not viewer.verified


async def test_signing_up_with_a_taken_email_signs_nobody_in(api: httpx.AsyncClient, outbox: Outbox) -> None:
    await sign_up(api)

    state, cookie = await sign_up(api)

    assert cookie is None
    assert state.done and state.notice.startswith("Check your inbox")


async def test_the_link_opened_where_you_signed_up_lands_on_generate_with_a_welcome(
    api: httpx.AsyncClient, outbox: Outbox
) -> None:
    _, cookie = await sign_up(api)
    verify = state_for(AuthState, cookie, path="/verify", query={"token": outbox.last_token(NEWCOMER)})

    updates = await call(AuthState.load_verify, verify)

    assert "/generate?welcome=1" in repr(updates)
    generate = state_for(GenerateState, cookie, path="/generate", query={"welcome": "1"})
    await call(GenerateState.load, generate)
    assert generate.welcome.startswith("Welcome to Dream Pixel, Ada! Your email is confirmed")
    assert generate.blocked == ""


async def test_the_link_opened_elsewhere_confirms_and_asks_to_sign_in(api: httpx.AsyncClient, outbox: Outbox) -> None:
    await sign_up(api)
    verify = state_for(AuthState, path="/verify", query={"token": outbox.last_token(NEWCOMER)})

    updates = await call(AuthState.load_verify, verify)

    assert "/generate" not in repr(updates)
    assert verify.verify_status == "verified"


async def test_the_account_page_shows_the_plan(api: httpx.AsyncClient, outbox: Outbox) -> None:
    _, cookie = await sign_up(api)
    account = state_for(AccountState, cookie, path="/account")

    await call(AccountState.load, account)

    assert (account.plan_tier, account.plan_allowance) == ("FREE", "1 generation / day")
