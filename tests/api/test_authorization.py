"""Who may see and do what: suspension shuts every door at once, and other people's things
are as invisible as missing ones (404, never 403, never the data)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine

from dreampixel.api.app import create_api
from dreampixel.api.csrf import CSRF_COOKIE
from dreampixel.core.db import uow
from dreampixel.core.errors import Forbidden
from dreampixel.core.models import Generation, GenerationCreate, GenerationStatus, Role, User, UserStatus
from dreampixel.core.settings import settings
from services.accounts import admin, sessions
from services.api_keys import service as api_keys
from services.credits import service as credits
from services.generation import service as generations
from tests.factories import create_generation, create_image, create_user

TOKEN = "a" * 43
SECRET_PROMPT = "a private portrait nobody else should read"


@pytest.fixture
async def api(live_db: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()),
                                 base_url="http://dreampixel.test") as http:
        yield http


@dataclass
class Person:
    user_id: str
    key: str
    cookie: str

    @property
    def api_headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}

    @property
    def browser_headers(self) -> dict[str, str]:
        return {"cookie": f"{sessions.SESSION_COOKIE}={self.cookie}; {CSRF_COOKIE}={TOKEN}",
                "origin": settings.base_url, "x-csrf-token": TOKEN}


def new_person(role: Role = Role.USER) -> Person:
    with uow() as session:
        user = create_user(session, role=role)
        credits.grant(session, user_id=user.id, amount=10)
        _key, plaintext = api_keys.create_key(session, user_id=user.id, name="test")
        return Person(user.id, plaintext, sessions.create(session, user_id=user.id, ip=None, user_agent=None))


async def person(role: Role = Role.USER) -> Person:
    return await asyncio.to_thread(new_person, role)


# ---- suspension ------------------------------------------------------------------------------


def suspend(target: Person) -> None:
    with uow() as session:
        boss = create_user(session, role=Role.ADMIN)
        admin.suspend(session, actor=boss, user_id=target.user_id, reason="abuse")


async def test_a_suspended_user_is_refused_everywhere_at_once(api: httpx.AsyncClient) -> None:
    alice = await person(Role.MODERATOR)
    assert (await api.get("/api/v1/generations", headers=alice.api_headers)).status_code == 200
    await asyncio.to_thread(suspend, alice)

    by_key = await api.get("/api/v1/generations", headers=alice.api_headers)
    assert by_key.status_code == 401 and by_key.json()["code"] == "invalid_api_key"

    def resolves() -> bool:
        with uow() as session:
            return sessions.resolve(session, alice.cookie) is not None

    assert not await asyncio.to_thread(resolves)
    by_cookie = await api.post(f"/api/admin/users/{alice.user_id}/unsuspend", headers=alice.browser_headers,
                               json={})
    assert by_cookie.status_code == 401 and by_cookie.json()["code"] == "not_signed_in"

    def submit() -> None:
        with uow() as session:
            user = session.get(User, alice.user_id)
            assert user is not None
            generations.submit(session, user=user, request=GenerationCreate(prompt="a red fox in snow"))

    with pytest.raises(Forbidden) as refused:
        await asyncio.to_thread(submit)
    assert refused.value.code == "account_suspended"


async def test_a_suspended_status_alone_closes_keys_and_sessions(api: httpx.AsyncClient) -> None:
    # Defence in depth: even a key or session that escaped revocation stops working.
    bob = await person()

    def mark_suspended() -> bool:
        with uow() as session:
            user = session.get(User, bob.user_id)
            assert user is not None
            user.status = UserStatus.SUSPENDED
            session.add(user)
            session.flush()
            return sessions.resolve(session, bob.cookie) is not None

    assert not await asyncio.to_thread(mark_suspended)
    assert (await api.get("/api/v1/generations", headers=bob.api_headers)).status_code == 401


# ---- other people's resources -------------------------------------------------------------------


@dataclass
class Belongings:
    queued: str
    failed: str
    image: str


def belongings_of(owner: Person) -> Belongings:
    with uow() as session:
        user = session.get(User, owner.user_id)
        assert user is not None
        queued = create_generation(session, user, prompt=SECRET_PROMPT)
        failed = create_generation(session, user, prompt=SECRET_PROMPT, status=GenerationStatus.FAILED)
        image = create_image(session, user)
        return Belongings(queued.id, failed.id, image.id)


@pytest.fixture
async def alice_and_bob(api: httpx.AsyncClient) -> tuple[Person, Person, Belongings]:
    alice, bob = await person(), await person()
    return alice, bob, await asyncio.to_thread(belongings_of, alice)


def assert_invisible(response: httpx.Response, *secrets: str) -> None:
    assert response.status_code == 404, (response.request.url, response.status_code, response.text)
    assert response.json()["code"] == "not_found"
    assert SECRET_PROMPT not in response.text and not any(s in response.text for s in secrets)


async def test_another_users_generation_is_not_found(api: httpx.AsyncClient,
                                                    alice_and_bob: tuple[Person, Person, Belongings]) -> None:
    alice, bob, things = alice_and_bob
    assert (await api.get(f"/api/v1/generations/{things.queued}", headers=alice.api_headers)).status_code == 200
    for generation_id in (things.queued, things.failed):
        seen = await api.get(f"/api/v1/generations/{generation_id}", headers=bob.api_headers)
        assert_invisible(seen, alice.user_id)
    listed = await api.get("/api/v1/generations", headers=bob.api_headers)
    assert listed.status_code == 200 and listed.json()["data"] == []


async def test_another_users_generation_cannot_be_canceled(api: httpx.AsyncClient,
                                                           alice_and_bob: tuple[Person, Person, Belongings]) -> None:
    alice, bob, things = alice_and_bob
    assert_invisible(await api.post(f"/api/v1/generations/{things.queued}/cancel", headers=bob.api_headers),
                     alice.user_id)

    def status() -> GenerationStatus:
        with uow() as session:
            generation = session.get(Generation, things.queued)
            assert generation is not None
            return generation.status

    assert await asyncio.to_thread(status) is GenerationStatus.QUEUED


async def test_another_users_generation_cannot_be_retried(api: httpx.AsyncClient,
                                                          alice_and_bob: tuple[Person, Person, Belongings]) -> None:
    alice, bob, things = alice_and_bob
    assert_invisible(await api.post(f"/api/v1/generations/{things.failed}/retry", headers=bob.api_headers),
                     alice.user_id)
    listed = await api.get("/api/v1/generations", headers=bob.api_headers)
    assert listed.json()["data"] == []


async def test_another_users_generation_events_are_not_found(api: httpx.AsyncClient,
                                                             alice_and_bob: tuple[Person, Person, Belongings]) -> None:
    alice, bob, things = alice_and_bob
    assert_invisible(await api.get(f"/api/v1/generations/{things.queued}/events", headers=bob.api_headers),
                     alice.user_id)


async def test_another_users_image_is_not_found(api: httpx.AsyncClient,
                                                alice_and_bob: tuple[Person, Person, Belongings]) -> None:
    alice, bob, things = alice_and_bob
    assert (await api.get(f"/api/v1/images/{things.image}", headers=alice.api_headers)).status_code == 200
    assert_invisible(await api.get(f"/api/v1/images/{things.image}", headers=bob.api_headers), alice.user_id)


async def test_a_reference_to_another_users_image_is_not_found(
    api: httpx.AsyncClient, alice_and_bob: tuple[Person, Person, Belongings],
) -> None:
    alice, bob, things = alice_and_bob
    used = await api.post("/api/v1/generations", headers=bob.api_headers,
                          json={"prompt": "a cat", "reference_image_id": things.image})
    assert_invisible(used, alice.user_id)
