"""Page state handlers check the caller themselves: called directly by a crafted client with
another user's ids, they change nothing and reveal nothing."""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex.istate.manager.redis import StateManagerRedis
from sqlalchemy import Engine
from sqlmodel import func, select

from dreampixel.core.db import uow
from dreampixel.core.models import ApiKey, AuthSession, Generation, GenerationStatus, User
from services.accounts import sessions
from services.api_keys import service as api_keys
from states.account import AccountState
from states.gallery import GalleryState
from states.generate import GenerateState
from states.seeds import PublishState
from tests.factories import create_generation, create_user
from tests.fixtures.reflex_events import Tab


def state_for(cookie_token: str | None) -> AccountState:
    """An AccountState as the server builds it for a browser sending this session cookie."""
    root = rx.State(_reflex_internal_init=True)
    router_data: dict[str, Any] = {
        "headers": {"cookie": f"{sessions.SESSION_COOKIE}={cookie_token}" if cookie_token else ""},
        "pathname": "/account", "asPath": "/account", "query": {}, "token": "client", "sid": "sid",
        "ip": "127.0.0.1",
    }
    root.router_data = router_data
    root.router = RouterData.from_router_data(router_data)
    state = root.get_substate(AccountState.get_full_name().split("."))
    assert isinstance(state, AccountState)
    return state


def two_people() -> dict[str, str]:
    with uow() as session:
        alice = create_user(session, name="Alice")
        bob = create_user(session, name="Bob")
        alice_key, _ = api_keys.create_key(session, user_id=alice.id, name="alice laptop")
        return {
            "alice_token": sessions.create(session, user_id=alice.id, ip="127.0.0.1", user_agent="test"),
            "bob_token": sessions.create(session, user_id=bob.id, ip="127.0.0.1", user_agent="test"),
            "alice_key": alice_key.id,
            "alice_id": alice.id,
        }


async def call(handler: Any, state: AccountState, *args: Any) -> Any:
    result = handler.fn(state, *args)
    if hasattr(result, "__anext__"):
        return [item async for item in result]
    return await result


@pytest.fixture
def people(live_db: Engine) -> dict[str, str]:
    return two_people()


async def test_revoking_another_users_api_key_changes_nothing(people: dict[str, str]) -> None:
    bob = state_for(people["bob_token"])
    await call(AccountState.revoke_key, bob, people["alice_key"])
    with uow() as session:
        key = session.get(ApiKey, people["alice_key"])
        assert key is not None and key.revoked_at is None
    assert all(row["id"] != people["alice_key"] for row in bob.keys)


async def test_revoking_another_users_session_changes_nothing(people: dict[str, str]) -> None:
    with uow() as session:
        alice_session = session.exec(select(AuthSession).where(AuthSession.user_id == people["alice_id"])).one()
        alice_session_id = alice_session.id
    bob = state_for(people["bob_token"])
    await call(AccountState.revoke_session, bob, alice_session_id)
    with uow() as session:
        assert sessions.resolve(session, people["alice_token"]) is not None, "Alice is still signed in"


async def test_the_account_state_shows_only_the_callers_own_rows(people: dict[str, str]) -> None:
    bob = state_for(people["bob_token"])
    await call(AccountState.load, bob)
    assert bob.name == "Bob"
    assert bob.keys == [] and len(bob.sessions) == 1


async def test_a_handler_without_a_session_sends_the_caller_to_sign_in(people: dict[str, str]) -> None:
    stranger = state_for(None)
    await call(AccountState.revoke_key, stranger, people["alice_key"])
    with uow() as session:
        key = session.get(ApiKey, people["alice_key"])
        assert key is not None and key.revoked_at is None


async def test_a_suspended_users_handlers_stop_at_once(people: dict[str, str]) -> None:
    alice = state_for(people["alice_token"])
    with uow() as session:
        from dreampixel.core.models import User, UserStatus

        user = session.get(User, people["alice_id"])
        assert user is not None
        user.status = UserStatus.SUSPENDED
        session.add(user)
    await call(AccountState.revoke_key, alice, people["alice_key"])
    with uow() as session:
        key = session.get(ApiKey, people["alice_key"])
        assert key is not None and key.revoked_at is None, "a suspended session can no longer act"


async def test_a_signed_out_page_load_forgets_what_was_shown_and_goes_to_sign_in(people: dict[str, str]) -> None:
    stranger = state_for(None)
    stranger.ready, stranger.name = True, "Alice"

    redirect = await call(AccountState.load, stranger)

    assert not stranger.ready and stranger.name == ""
    assert "/login?next=%2Faccount" in str(redirect)


def test_the_guard_leaves_reflex_the_handlers_own_arguments() -> None:
    assert list(AccountState.revoke_key.get_parameters()) == ["self", "key_id"]
    assert list(AccountState.save_name.get_parameters()) == ["self", "form"]
    assert "viewer" not in AccountState.save_name._get_type_hints()


# ---- background handlers, each event processed by Reflex as the websocket server does ----------


@pytest.fixture
def alices_generations(people: dict[str, str]) -> dict[str, str]:
    with uow() as session:
        alice = session.get(User, people["alice_id"])
        assert alice is not None
        return {status.value: create_generation(session, alice, status=status).id
                for status in (GenerationStatus.QUEUED, GenerationStatus.FAILED, GenerationStatus.SUCCEEDED)}


async def tab_of(state_manager: StateManagerRedis, token: str | None, path: str) -> Tab:
    cookie = f"{sessions.SESSION_COOKIE}={token}" if token else ""
    return await Tab(manager=state_manager, path=path, cookie=cookie).open()


def alices_row(generation_id: str) -> Generation:
    with uow() as session:
        row = session.get(Generation, generation_id)
        assert row is not None
        session.expunge(row)
        return row


def generation_count() -> int:
    with uow() as session:
        return session.exec(select(func.count()).select_from(Generation)).one()


async def test_canceling_or_retrying_another_users_generation_in_the_background_changes_nothing(
    people: dict[str, str], alices_generations: dict[str, str], state_manager: StateManagerRedis
) -> None:
    bob = await tab_of(state_manager, people["bob_token"], "/generate")
    before = generation_count()

    await bob.send(GenerateState, "cancel", generation_id=alices_generations["queued"])
    await bob.send(GenerateState, "retry", generation_id=alices_generations["failed"])
    await bob.send(GenerateState, "toggle_favorite", generation_id=alices_generations["succeeded"])
    await bob.send(GenerateState, "remix", generation_id=alices_generations["succeeded"])

    assert alices_row(alices_generations["queued"]).status == GenerationStatus.QUEUED
    assert not alices_row(alices_generations["succeeded"]).is_favorite
    assert generation_count() == before, "no retry or remix was queued for anyone"
    state = await bob.state(GenerateState)
    assert state.cards == [] and not state.busy
    assert "No such generation." in bob.sent()


async def test_the_gallery_shows_and_favourites_only_the_callers_generations_in_the_background(
    people: dict[str, str], alices_generations: dict[str, str], state_manager: StateManagerRedis
) -> None:
    bob = await tab_of(state_manager, people["bob_token"], "/gallery")

    await bob.send(GalleryState, "open_detail", generation_id=alices_generations["succeeded"])
    await bob.send(GalleryState, "toggle_favorite", generation_id=alices_generations["succeeded"])

    state = await bob.state(GalleryState)
    assert state.detail == {} and not state.detail_open
    assert not alices_row(alices_generations["succeeded"]).is_favorite
    assert "no longer in your gallery" in bob.sent()


async def test_publishing_cannot_choose_another_users_generation(
    people: dict[str, str], alices_generations: dict[str, str], state_manager: StateManagerRedis
) -> None:
    bob = await tab_of(state_manager, people["bob_token"], "/seeds")

    await bob.send(PublishState, "open_dialog", generation_id=alices_generations["succeeded"])

    state = await bob.state(PublishState)
    assert state.chosen == "" and state.options == []


async def test_a_background_handler_without_a_session_sends_the_caller_to_sign_in(
    people: dict[str, str], alices_generations: dict[str, str], state_manager: StateManagerRedis
) -> None:
    stranger = await tab_of(state_manager, None, "/generate")
    before = generation_count()

    await stranger.send(GenerateState, "submit", form={"prompt": "a fox in the snow"})
    await stranger.send(GenerateState, "cancel", generation_id=alices_generations["queued"])

    assert generation_count() == before
    assert alices_row(alices_generations["queued"]).status == GenerationStatus.QUEUED
    assert "/login?next=%2Fgenerate" in stranger.sent()
    assert not (await stranger.state(GenerateState)).busy


async def test_a_signed_out_background_page_load_forgets_what_was_shown(
    people: dict[str, str], state_manager: StateManagerRedis
) -> None:
    bob = await tab_of(state_manager, people["bob_token"], "/gallery")
    await bob.send(GalleryState, "load")
    assert (await bob.state(GalleryState)).ready

    # The same tab after its session cookie is gone (signed out in another tab).
    stranger = Tab(manager=state_manager, path="/gallery", cookie="", token=bob.token)
    await stranger.send(GalleryState, "load")

    state = await stranger.state(GalleryState)
    assert not state.ready and state.cards == []
    assert "/login?next=%2Fgallery" in stranger.sent()


def test_the_background_guard_leaves_reflex_the_handlers_own_arguments() -> None:
    assert GenerateState.submit.is_background and GenerateState.cancel.is_background
    assert list(GenerateState.submit.get_parameters()) == ["self", "form"]
    assert list(GenerateState.cancel.get_parameters()) == ["self", "generation_id"]
    assert "viewer" not in GalleryState.open_detail._get_type_hints()
