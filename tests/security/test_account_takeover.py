"""Account takeover, tried as an attacker would: through the HTTP API and through page state
handlers called with crafted events and a session cookie (as the websocket delivers them)."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import reflex as rx
from pydantic import SecretStr
from reflex.istate.data import RouterData
from sqlmodel import select

from dreampixel.core.db import uow
from dreampixel.core.models import ApiKey, OAuthAccount, User
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.api_keys import service as api_keys
from states.account import AccountState
from states.auth import AuthState
from tests.factories import create_api_key
from tests.fakes.oidc import FakeOpenIDProvider
from tests.fixtures.accounts import PASSWORD, Clock, Outbox

StateT = TypeVar("StateT", bound=rx.State)
VICTIM = "victim@example.test"
ATTACKER_PASSWORD = "attacker-knows-this-1"
NEW_PASSWORD = "the-owners-new-secret-7"
APP_URL = "http://127.0.0.1:8765"


# --- how the attacker reaches the app ---------------------------------------------------------


def state_for(cls: type[StateT], cookie: str | None = None, *, path: str = "/account",
              query: dict[str, str] | None = None, ip: str = "198.51.100.7") -> StateT:
    """A page state as the server builds it for a browser sending this session cookie."""
    root = rx.State(_reflex_internal_init=True)
    query = query or {}
    as_path = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    router_data: dict[str, Any] = {
        "headers": {"cookie": f"{sessions.SESSION_COOKIE}={cookie}" if cookie else ""},
        "pathname": path, "asPath": as_path, "query": query, "token": "client", "sid": "sid", "ip": ip,
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


async def sign_up(email: str, password: str) -> None:
    await call(AuthState.sign_up, state_for(AuthState, path="/signup"),
               {"email": email, "password": password, "name": "Someone"})


async def password_sign_in(http: httpx.AsyncClient, email: str, password: str) -> str | None:
    """Sign in on /login as a browser does: the page's handler, then /api/auth/session; the cookie or None."""
    updates = await call(AuthState.sign_in, state_for(AuthState, path="/login"), {"email": email, "password": password})
    script = " ".join(repr(update) for update in updates if update is not None)
    ticket = re.search(r"ticket=([\w-]+)", script)
    if ticket is None:
        return None
    binding = re.search(r"dp_signin=([\w-]+)", script)
    http.cookies.clear()
    if binding:
        http.cookies.set("dp_signin", binding.group(1), path="/api/auth/session")
    response = await http.get("/api/auth/session", params={"ticket": ticket.group(1), "next": "/account"})
    return response.cookies.get(sessions.SESSION_COOKIE)


async def key_works(http: httpx.AsyncClient, key: str) -> bool:
    return (await http.get("/api/v1/account", headers={"x-api-key": key})).status_code == 200


async def signed_in(cookie: str | None) -> bool:
    state = state_for(AccountState, cookie)
    await call(AccountState.load, state)
    return state.ready


def verified_user_with_key(email: str = VICTIM, password: str = PASSWORD) -> tuple[str, str]:
    """An account with a confirmed email and an API key; returns (user id, key plaintext)."""
    from services.accounts.service import create_user

    with uow() as session:
        user = create_user(session, email=email, password=password, verified=True)
        _, plaintext = api_keys.create_key(session, user_id=user.id, name="script")
        return user.id, plaintext


def new_key_form(name: str = "stolen") -> dict[str, Any]:
    return {"key_name": name, "scope:account:read": True}


def live_keys(user_id: str) -> list[ApiKey]:
    with uow() as session:
        return list(session.exec(select(ApiKey).where(ApiKey.user_id == user_id,
                                                      ApiKey.revoked_at == None)).all())  # noqa: E711


def user_by_email(email: str) -> User:
    with uow() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        session.expunge(user)
        return user


@pytest.fixture
def http(api: httpx.AsyncClient) -> httpx.AsyncClient:
    return api


# --- pre-hijacking: sign up with someone else's email, wait for them ----------------------------


async def test_an_unverified_account_cannot_create_an_api_key(http: httpx.AsyncClient, outbox: Outbox) -> None:
    await sign_up(VICTIM, ATTACKER_PASSWORD)
    attacker = await password_sign_in(http, VICTIM, ATTACKER_PASSWORD)
    assert attacker

    state = state_for(AccountState, attacker)
    await call(AccountState.create_key, state, new_key_form())

    assert live_keys(user_by_email(VICTIM).id) == []
    assert state.new_key == "" and "Confirm your email" in state.key_error


@pytest.fixture
def google(oidc_provider: FakeOpenIDProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenIDProvider]:
    oidc_provider.reset()
    monkeypatch.setattr(settings, "public_url", APP_URL)
    monkeypatch.setattr(settings, "google_client_id", oidc_provider.client_id)
    monkeypatch.setattr(settings, "google_client_secret", SecretStr(oidc_provider.client_secret))
    monkeypatch.setattr(settings, "google_metadata_url", oidc_provider.metadata_url)
    yield oidc_provider


async def google_sign_in(http: httpx.AsyncClient, *, intent: str = "signin", next_path: str = "/account") -> httpx.Response:
    start = await http.get("/api/auth/oauth/google/start", params={"next": next_path, "intent": intent})
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient() as provider_side:
        approved = await provider_side.get(start.headers["location"])
    callback = urlsplit(approved.headers["location"])
    return await http.get(f"{callback.path}?{callback.query}")


async def test_the_owners_google_sign_in_ends_the_squatters_password_sessions_and_keys(
    http: httpx.AsyncClient, google: FakeOpenIDProvider, outbox: Outbox
) -> None:
    await sign_up(VICTIM, ATTACKER_PASSWORD)
    attacker = await password_sign_in(http, VICTIM, ATTACKER_PASSWORD)
    assert attacker
    # A key made before keys needed a confirmed email.
    old_key = api_keys.KEY_PREFIX + "made-while-unverified-0123456789abcdef"
    with uow() as session:
        squatter = session.exec(select(User).where(User.email == VICTIM)).one()
        create_api_key(session, squatter, key_hash=api_keys.hash_key(old_key), scopes=["account:read"])

    google.sign_in_as(sub="g-victim", email=VICTIM, email_verified=True, name="The Owner")
    owner = httpx.AsyncClient(transport=http._transport, base_url=APP_URL)
    async with owner:
        assert (await google_sign_in(owner)).headers["location"] == "/account"

    assert not await signed_in(attacker), "the squatter's session ended"
    assert not await key_works(http, old_key), "the squatter's key was revoked"
    assert await password_sign_in(http, VICTIM, ATTACKER_PASSWORD) is None, "the squatter's password is gone"


async def test_a_password_reset_revokes_every_api_key_and_says_so(http: httpx.AsyncClient, outbox: Outbox) -> None:
    _, key = verified_user_with_key()
    session_cookie = await password_sign_in(http, VICTIM, PASSWORD)

    await call(AuthState.request_reset, state_for(AuthState, path="/forgot"), {"email": VICTIM})
    reset = state_for(AuthState, path="/reset", query={"token": outbox.last_token(VICTIM)})
    await call(AuthState.load_reset, reset)
    await call(AuthState.reset_password, reset, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert reset.done and "1 API key was revoked" in reset.notice
    assert not await key_works(http, key)
    assert not await signed_in(session_cookie)
    assert "access_reset" in [m["tags"]["kind"] for m in outbox.to(VICTIM)]


async def test_changing_the_password_revokes_every_api_key(http: httpx.AsyncClient, outbox: Outbox) -> None:
    _, key = verified_user_with_key()
    cookie = await password_sign_in(http, VICTIM, PASSWORD)
    state = state_for(AccountState, cookie)

    await call(AccountState.change_password, state, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert "1 API key was revoked" in state.password_notice
    assert not await key_works(http, key)


async def test_signing_out_everywhere_revokes_every_api_key(http: httpx.AsyncClient, outbox: Outbox) -> None:
    _, key = verified_user_with_key()
    cookie = await password_sign_in(http, VICTIM, PASSWORD)

    await call(AccountState.sign_out_everywhere, state_for(AccountState, cookie))

    assert not await key_works(http, key)
    assert not await signed_in(cookie)


# --- login CSRF ----------------------------------------------------------------------------------


async def test_a_sign_in_ticket_opened_in_another_browser_signs_nobody_in(http: httpx.AsyncClient,
                                                                          outbox: Outbox) -> None:
    verified_user_with_key("attacker@example.test")
    updates = await call(AuthState.sign_in, state_for(AuthState, path="/login"),
                         {"email": "attacker@example.test", "password": PASSWORD})
    ticket = re.search(r"ticket=([\w-]+)", " ".join(repr(u) for u in updates))
    assert ticket

    # The attacker sends the link to the victim, whose browser never saw the sign-in page.
    victim = await http.get("/api/auth/session", params={"ticket": ticket.group(1), "next": "/generate"})

    assert victim.status_code == 303 and victim.headers["location"].startswith("/login")
    assert sessions.SESSION_COOKIE not in victim.cookies


# --- sensitive changes need a recent sign-in -------------------------------------------------------


async def _stale(http: httpx.AsyncClient, frozen_clock: Clock) -> str:
    verified_user_with_key()
    cookie = await password_sign_in(http, VICTIM, PASSWORD)
    assert cookie
    frozen_clock.advance(minutes=settings.reauth_minutes + 1)
    return cookie


async def test_a_stale_session_creates_no_api_key_until_the_password_is_confirmed(
    http: httpx.AsyncClient, outbox: Outbox, frozen_clock: Clock
) -> None:
    cookie = await _stale(http, frozen_clock)
    user_id = user_by_email(VICTIM).id
    before = len(live_keys(user_id))
    state = state_for(AccountState, cookie)

    await call(AccountState.create_key, state, new_key_form())
    assert len(live_keys(user_id)) == before and state.reauth_open

    resumed = await call(AccountState.confirm_identity, state, {"reauth_password": PASSWORD})
    assert not state.reauth_open
    assert any("create_key" in repr(update) for update in resumed), "the page carries on with the key"
    await call(AccountState.create_key, state, new_key_form())
    assert len(live_keys(user_id)) == before + 1 and state.new_key.startswith("dp_live_")


async def test_a_stale_session_cannot_change_the_email(http: httpx.AsyncClient, outbox: Outbox,
                                                       frozen_clock: Clock) -> None:
    cookie = await _stale(http, frozen_clock)
    state = state_for(AccountState, cookie)

    await call(AccountState.change_email, state, {"new_email": "thief@example.test"})

    assert outbox.to("thief@example.test") == [] and state.reauth_open


async def test_a_stale_session_cannot_delete_the_account_by_typing_the_email(
    http: httpx.AsyncClient, outbox: Outbox, frozen_clock: Clock
) -> None:
    cookie = await _stale(http, frozen_clock)

    await call(AccountState.delete_account, state_for(AccountState, cookie), {"password": "", "typed_email": VICTIM})

    with uow() as session:
        assert session.exec(select(User).where(User.email == VICTIM)).first() is not None


async def test_a_wrong_password_does_not_make_a_stale_session_recent(http: httpx.AsyncClient, outbox: Outbox,
                                                                     frozen_clock: Clock) -> None:
    cookie = await _stale(http, frozen_clock)
    state = state_for(AccountState, cookie)
    await call(AccountState.create_key, state, new_key_form())

    await call(AccountState.confirm_identity, state, {"reauth_password": "not-the-password"})
    assert state.reauth_error == "That is not your password."
    await call(AccountState.create_key, state, new_key_form())

    assert state.reauth_open and state.new_key == ""


async def test_an_oauth_only_account_sets_a_first_password_only_after_a_fresh_google_sign_in(
    http: httpx.AsyncClient, google: FakeOpenIDProvider, outbox: Outbox, frozen_clock: Clock
) -> None:
    google.sign_in_as(sub="g-only", email="only@example.test", email_verified=True)
    await google_sign_in(http)
    cookie = http.cookies.get(sessions.SESSION_COOKIE)
    frozen_clock.advance(minutes=settings.reauth_minutes + 1)
    state = state_for(AccountState, cookie)

    await call(AccountState.change_password, state, {"current_password": "", "new_password": NEW_PASSWORD})
    assert state.reauth_open and user_by_email("only@example.test").password_hash is None

    assert (await google_sign_in(http, intent="reauth")).headers["location"] == "/account"
    assert http.cookies.get(sessions.SESSION_COOKIE) == cookie, "the same session, now recent"
    await call(AccountState.change_password, state, {"current_password": "", "new_password": NEW_PASSWORD})
    assert user_by_email("only@example.test").password_hash is not None


async def test_a_fresh_sign_in_with_someone_elses_google_account_proves_nothing(
    http: httpx.AsyncClient, google: FakeOpenIDProvider, outbox: Outbox, frozen_clock: Clock
) -> None:
    cookie = await _stale(http, frozen_clock)
    http.cookies.set(sessions.SESSION_COOKIE, cookie)
    google.sign_in_as(sub="g-stranger", email="stranger@example.test", email_verified=True)

    response = await google_sign_in(http, intent="reauth")

    location = urlsplit(response.headers["location"])
    assert location.path == "/account" and parse_qs(location.query)["oauth_error"] == ["reauth_mismatch"]
    state = state_for(AccountState, cookie)
    await call(AccountState.create_key, state, new_key_form())
    assert state.reauth_open and state.new_key == ""


# --- email changes ----------------------------------------------------------------------------------


async def test_an_email_change_ends_other_sessions_and_the_old_address_can_undo_it(
    http: httpx.AsyncClient, outbox: Outbox
) -> None:
    _, key = verified_user_with_key()
    owners_laptop = await password_sign_in(http, VICTIM, PASSWORD)
    thief = await password_sign_in(http, VICTIM, PASSWORD)  # knows the password, for this test
    await call(AccountState.change_email, state_for(AccountState, thief), {"new_email": "thief@example.test"})
    confirm = state_for(AuthState, thief, path="/verify", query={"token": outbox.last_token("thief@example.test")})
    await call(AuthState.load_verify, confirm)
    assert confirm.verify_status == "email_changed"
    assert not await signed_in(owners_laptop), "an email change ends the other sessions"

    [notice] = [m for m in outbox.to(VICTIM) if m["tags"]["kind"] == "email_changed"]
    assert "thief@example.test" in notice["text"]
    undo = state_for(AuthState, path="/verify", query={"token": outbox.last_token(VICTIM)})
    await call(AuthState.load_verify, undo)

    assert undo.verify_status == "email_restored"
    assert user_by_email(VICTIM).password_hash is None
    assert not await signed_in(thief)
    assert not await key_works(http, key)
    assert await password_sign_in(http, VICTIM, PASSWORD) is None


# --- connected accounts -------------------------------------------------------------------------------


async def test_a_connected_google_account_is_listed_and_can_be_unlinked(
    http: httpx.AsyncClient, google: FakeOpenIDProvider, outbox: Outbox
) -> None:
    verified_user_with_key()
    google.sign_in_as(sub="g-linked", email=VICTIM, email_verified=True)
    await google_sign_in(http)
    cookie = await password_sign_in(http, VICTIM, PASSWORD)
    state = state_for(AccountState, cookie)
    await call(AccountState.load, state)
    [row] = state.connected
    assert row["label"] == f"Google ({VICTIM})"

    await call(AccountState.unlink, state, row["id"])

    assert state.connected == []
    with uow() as session:
        assert session.exec(select(OAuthAccount)).all() == []


async def test_connecting_a_google_account_needs_a_recent_sign_in(
    http: httpx.AsyncClient, google: FakeOpenIDProvider, outbox: Outbox, frozen_clock: Clock
) -> None:
    cookie = await _stale(http, frozen_clock)
    http.cookies.set(sessions.SESSION_COOKIE, cookie)
    # A stolen, old session tries to add the thief's Google account as a way back in.
    google.sign_in_as(sub="g-thief", email="thief@example.test", email_verified=True)

    refused = await google_sign_in(http, intent="link")

    assert parse_qs(urlsplit(refused.headers["location"]).query)["oauth_error"] == ["reauth_required"]
    with uow() as session:
        assert session.exec(select(OAuthAccount)).all() == []
    state = state_for(AccountState, cookie)
    await call(AccountState.connect, state, "google")
    assert state.reauth_open, "the page asks for the password before leaving for Google"
    await call(AccountState.confirm_identity, state, {"reauth_password": PASSWORD})

    assert (await google_sign_in(http, intent="link")).headers["location"] == "/account"
    with uow() as session:
        assert [link.provider_account_id for link in session.exec(select(OAuthAccount))] == ["g-thief"]


async def test_the_only_way_into_an_account_cannot_be_unlinked(
    http: httpx.AsyncClient, google: FakeOpenIDProvider, outbox: Outbox
) -> None:
    google.sign_in_as(sub="g-sole", email="sole@example.test", email_verified=True)
    await google_sign_in(http)
    state = state_for(AccountState, http.cookies.get(sessions.SESSION_COOKIE))
    await call(AccountState.load, state)

    await call(AccountState.unlink, state, state.connected[0]["id"])

    assert len(state.connected) == 1 and "only way into your account" in state.connected_error


# --- mail bombing and enumeration ------------------------------------------------------------------------


async def test_reset_mails_to_one_address_are_throttled(http: httpx.AsyncClient, outbox: Outbox) -> None:
    verified_user_with_key()
    for i in range(6):
        forgot = state_for(AuthState, path="/forgot", ip=f"203.0.113.{i}")
        await call(AuthState.request_reset, forgot, {"email": VICTIM})

    assert len(outbox.to(VICTIM)) == 3
    assert not forgot.done and forgot.form_error.startswith("Too many emails asked for.")


async def test_reset_mails_from_one_client_are_throttled(http: httpx.AsyncClient, outbox: Outbox) -> None:
    for i in range(12):
        verified_user_with_key(f"person-{i}@example.test")
        await call(AuthState.request_reset, state_for(AuthState, path="/forgot"), {"email": f"person-{i}@example.test"})

    assert len(outbox.messages) == 10


async def test_sign_up_attempt_mails_to_a_taken_address_are_throttled(http: httpx.AsyncClient, outbox: Outbox) -> None:
    verified_user_with_key()
    for i in range(6):
        await call(AuthState.sign_up, state_for(AuthState, path="/signup", ip=f"203.0.113.{i}"),
                   {"email": VICTIM, "password": ATTACKER_PASSWORD, "name": "x"})

    assert len(outbox.to(VICTIM)) == 3


async def test_forgot_takes_as_long_for_a_known_email_as_for_an_unknown_one(http: httpx.AsyncClient,
                                                                           outbox: Outbox) -> None:
    verified_user_with_key()

    async def answer_seconds(email: str, i: int) -> float:
        started = time.perf_counter()
        await call(AuthState.request_reset, state_for(AuthState, path="/forgot", ip=f"192.0.2.{i}"), {"email": email})
        return time.perf_counter() - started

    known = statistics.median([await answer_seconds(VICTIM, i) for i in range(3)])
    unknown = statistics.median([await answer_seconds(f"nobody-{i}@example.test", 10 + i) for i in range(3)])

    assert min(known, unknown) / max(known, unknown) > 0.8, (known, unknown)

