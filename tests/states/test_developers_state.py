"""/developers creates API keys in place, under the account page's rules: a confirmed email,
and a recent sign-in (or the password typed again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlalchemy import Engine
from sqlmodel import select

from dreampixel.core.db import uow
from dreampixel.core.models import ApiKey, AuthSession, utcnow
from services.accounts import passwords, sessions
from services.api_keys import service as api_keys
from services.api_keys.service import DEFAULT_SCOPES
from states.developers import DevelopersState
from tests.factories import create_user
from tests.states.test_state_authorization import call

PASSWORD = "quiet-harbour-lanterns-3"
DEFAULT_FORM = {"key_name": "CI runner", **{f"scope:{scope}": "on" for scope in DEFAULT_SCOPES}}


def developers_for(cookie_token: str | None) -> DevelopersState:
    root = rx.State(_reflex_internal_init=True)
    router_data: dict[str, Any] = {
        "headers": {"cookie": f"{sessions.SESSION_COOKIE}={cookie_token}" if cookie_token else ""},
        "pathname": "/developers", "asPath": "/developers", "query": {}, "token": "client", "sid": "sid",
        "ip": "127.0.0.1",
    }
    root.router_data = router_data
    root.router = RouterData.from_router_data(router_data)
    state = root.get_substate(DevelopersState.get_full_name().split("."))
    assert isinstance(state, DevelopersState)
    return state


def person(*, verified: bool = True, signed_in_minutes_ago: int = 0) -> tuple[str, str]:
    """(user id, session cookie) of someone with a password, signed in that long ago."""
    with uow() as session:
        user = create_user(session, password_hash=passwords.hash_password(PASSWORD, rounds=4),
                           email_verified_at=utcnow() if verified else None)
        token = sessions.create(session, user_id=user.id, ip="127.0.0.1", user_agent="test")
        row = session.exec(select(AuthSession).where(AuthSession.user_id == user.id)).one()
        row.authenticated_at = utcnow() - timedelta(minutes=signed_in_minutes_ago)
        session.add(row)
        return user.id, token


def keys_of(user_id: str) -> list[ApiKey]:
    with uow() as session:
        return list(session.exec(select(ApiKey).where(ApiKey.user_id == user_id)).all())


@pytest.fixture(autouse=True)
def database(live_db: Engine) -> None:
    return None


async def test_a_signed_out_visitor_sees_no_key(live_db: Engine) -> None:
    visitor = developers_for(None)
    await call(DevelopersState.load, visitor)
    assert not visitor.signed_in and visitor.key_prefix == "" and visitor.new_key == ""


async def test_a_recently_signed_in_verified_user_creates_a_key_shown_once() -> None:
    user_id, token = person()
    page = developers_for(token)
    await call(DevelopersState.load, page)
    assert page.signed_in and page.key_prefix == "" and page.email_verified

    DevelopersState.toggle_key_form.fn(page)
    assert page.key_form_open
    await call(DevelopersState.create_key, page, DEFAULT_FORM)

    [key] = keys_of(user_id)
    assert key.name == "CI runner" and sorted(key.scopes) == sorted(DEFAULT_SCOPES)
    assert page.new_key.startswith(key.prefix) and api_keys.hash_key(page.new_key) == key.key_hash
    assert page.key_prefix == key.prefix and not page.key_form_open
    DevelopersState.dismiss_key.fn(page)
    assert page.new_key == ""


async def test_an_unverified_email_gets_a_clear_refusal_and_can_resend_the_link() -> None:
    user_id, token = person(verified=False)
    page = developers_for(token)
    await call(DevelopersState.load, page)
    assert not page.email_verified

    await call(DevelopersState.create_key, page, DEFAULT_FORM)  # a crafted call, past the hidden form
    assert keys_of(user_id) == [] and page.new_key == ""
    assert page.key_error == api_keys.NOT_VERIFIED_MESSAGE

    await call(DevelopersState.resend_verification, page)
    assert page.resend_notice.startswith("We sent a new link")


async def test_an_old_sign_in_asks_for_the_password_then_creates_the_key() -> None:
    user_id, token = person(signed_in_minutes_ago=24 * 60)
    page = developers_for(token)
    await call(DevelopersState.load, page)

    await call(DevelopersState.create_key, page, DEFAULT_FORM)
    assert page.reauth_open and keys_of(user_id) == []

    await call(DevelopersState.confirm_identity, page, {"reauth_password": "not the password"})
    assert page.reauth_open and page.reauth_error and keys_of(user_id) == []

    updates = await call(DevelopersState.confirm_identity, page, {"reauth_password": PASSWORD})
    assert not page.reauth_open
    resumed = [u for u in updates if u is not None]
    assert len(resumed) == 1  # the confirm dialog hands the pending form back to create_key
    await call(DevelopersState.create_key, page, DEFAULT_FORM)
    [key] = keys_of(user_id)
    assert page.new_key and page.key_prefix == key.prefix


async def test_a_key_needs_a_name_and_a_scope() -> None:
    user_id, token = person()
    page = developers_for(token)
    await call(DevelopersState.load, page)

    await call(DevelopersState.create_key, page, {"key_name": "no scopes"})
    assert page.key_error == "Choose at least one scope."
    await call(DevelopersState.create_key, page, {**DEFAULT_FORM, "key_name": "  "})
    assert page.key_name_error == "Required."
    assert keys_of(user_id) == []


async def test_a_signed_out_caller_creates_nothing() -> None:
    stranger = developers_for(None)
    await call(DevelopersState.create_key, stranger, DEFAULT_FORM)
    with uow() as session:
        assert session.exec(select(ApiKey)).all() == []
    assert stranger.new_key == ""
