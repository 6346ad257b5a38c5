"""CSRF: cookie-authenticated state changes need our origin and the double-submit token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine

from dreampixel.api.app import create_api
from dreampixel.api.csrf import CSRF_COOKIE, origin_of
from dreampixel.core.db import uow
from dreampixel.core.models import ModerationStatus, Role
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.api_keys import service as api_keys
from tests.factories import create_seed, create_user

TOKEN = "t" * 43


@pytest.fixture
async def api(live_db: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()),
                                 base_url="http://dreampixel.test") as http:
        yield http


def moderator_and_seed() -> tuple[str, str, str]:
    """A signed-in moderator's cookie value, a pending seed, and the moderator's API key."""
    with uow() as session:
        moderator = create_user(session, role=Role.MODERATOR)
        seed = create_seed(session, moderation_status=ModerationStatus.PENDING, published_at=None)
        cookie = sessions.create(session, user_id=moderator.id, ip=None, user_agent=None)
        _key, plaintext = api_keys.create_key(session, user_id=moderator.id, name="test")
        return cookie, seed.id, plaintext


@pytest.fixture
async def staff() -> tuple[str, str, str]:
    return await asyncio.to_thread(moderator_and_seed)


def cookies(session_token: str, csrf: str | None = TOKEN) -> str:
    jar = f"{sessions.SESSION_COOKIE}={session_token}"
    return f"{jar}; {CSRF_COOKIE}={csrf}" if csrf else jar


async def moderate(api: httpx.AsyncClient, seed_id: str, headers: dict[str, str], **kwargs: object) -> httpx.Response:
    if "json" not in kwargs and "data" not in kwargs:
        kwargs["json"] = {"approve": True}
    return await api.post(f"/api/admin/seeds/{seed_id}/moderate", headers=headers, **kwargs)  # type: ignore[arg-type]


def assert_csrf_failed(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "csrf_failed" and response.headers["x-request-id"]


async def test_a_cookie_post_without_token_or_origin_is_refused(api: httpx.AsyncClient,
                                                                staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    assert_csrf_failed(await moderate(api, seed_id, {"cookie": cookies(cookie, csrf=None)}))


async def test_the_right_token_from_another_origin_is_refused(api: httpx.AsyncClient,
                                                              staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    headers = {"cookie": cookies(cookie), "x-csrf-token": TOKEN, "origin": "https://evil.example"}
    assert_csrf_failed(await moderate(api, seed_id, headers))


async def test_our_origin_without_the_matching_token_is_refused(api: httpx.AsyncClient,
                                                                staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    assert_csrf_failed(await moderate(api, seed_id, {"cookie": cookies(cookie), "origin": settings.base_url}))
    assert_csrf_failed(await moderate(api, seed_id, {"cookie": cookies(cookie), "origin": settings.base_url,
                                                     "x-csrf-token": "u" * 43}))


async def test_our_origin_and_the_matching_header_token_pass(api: httpx.AsyncClient,
                                                             staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    headers = {"cookie": cookies(cookie), "origin": settings.base_url, "x-csrf-token": TOKEN}
    passed = await moderate(api, seed_id, headers)
    assert passed.status_code == 200, passed.text
    assert passed.json()["moderation_status"] == "APPROVED"


async def test_the_referer_stands_in_for_a_missing_origin(api: httpx.AsyncClient,
                                                          staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    headers = {"cookie": cookies(cookie), "referer": f"{settings.base_url}/admin/seeds", "x-csrf-token": TOKEN}
    assert (await moderate(api, seed_id, headers)).status_code == 200


async def test_a_form_field_token_passes_the_check(api: httpx.AsyncClient, staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    headers = {"cookie": cookies(cookie), "origin": settings.base_url}
    answered = await moderate(api, seed_id, headers, data={"csrf_token": TOKEN, "approve": "true"})
    # Past the CSRF check; the endpoint itself wants JSON.
    assert answered.status_code == 422 and answered.json()["code"] == "validation_failed"
    refused = await moderate(api, seed_id, headers, data={"csrf_token": "wrong", "approve": "true"})
    assert_csrf_failed(refused)


async def test_api_key_requests_are_exempt(api: httpx.AsyncClient, staff: tuple[str, str, str]) -> None:
    cookie, _seed_id, key = staff
    estimate = await api.post("/api/v1/generations/estimate", json={"prompt": "a fox"},
                              headers={"cookie": cookies(cookie, csrf=None), "x-api-key": key})
    assert estimate.status_code == 200, estimate.text
    bearer = await api.post("/api/v1/generations/estimate", json={"prompt": "a fox"},
                            headers={"cookie": cookies(cookie, csrf=None), "authorization": f"Bearer {key}"})
    assert bearer.status_code == 200


async def test_a_bogus_authorization_header_does_not_switch_the_check_off(api: httpx.AsyncClient,
                                                                          staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    for bogus in ({"authorization": "Bearer not-a-key"}, {"authorization": "Bearer dp_live_forged"},
                  {"x-api-key": "dp_live_forged"}):
        assert_csrf_failed(await moderate(api, seed_id, {"cookie": cookies(cookie, csrf=None), **bogus}))


async def test_a_request_a_key_authenticates_does_not_also_use_the_session_cookie(
        api: httpx.AsyncClient, staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    with uow() as session:
        stranger = create_user(session)
        _row, stranger_key = api_keys.create_key(session, user_id=stranger.id, name="test")
    # The key skips the CSRF check, so the moderator's cookie must not ride along with it.
    answered = await moderate(api, seed_id, {"cookie": cookies(cookie, csrf=None), "x-api-key": stranger_key})
    assert answered.status_code == 401 and answered.json()["code"] == "not_signed_in"


async def test_requests_without_a_session_cookie_are_not_checked(api: httpx.AsyncClient,
                                                                 staff: tuple[str, str, str]) -> None:
    _cookie, seed_id, _key = staff
    anonymous = await moderate(api, seed_id, {})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_signed_in"


async def test_the_csrf_endpoint_hands_out_a_token_and_keeps_it(api: httpx.AsyncClient) -> None:
    first = await api.get("/api/auth/csrf")
    token = first.json()["csrf_token"]
    assert len(token) >= 32 and first.cookies[CSRF_COOKIE] == token
    assert "httponly" not in first.headers["set-cookie"].lower()
    again = await api.get("/api/auth/csrf", headers={"cookie": f"{CSRF_COOKIE}={token}"})
    assert again.json()["csrf_token"] == token


async def test_a_token_from_the_endpoint_works_end_to_end(api: httpx.AsyncClient,
                                                          staff: tuple[str, str, str]) -> None:
    cookie, seed_id, _key = staff
    token = (await api.get("/api/auth/csrf")).json()["csrf_token"]
    headers = {"cookie": cookies(cookie, csrf=token), "origin": settings.base_url, "x-csrf-token": token}
    assert (await moderate(api, seed_id, headers)).status_code == 200


def test_origins_compare_scheme_host_and_port() -> None:
    assert origin_of("https://dreampixel.app:443/path?q=1") == "https://dreampixel.app"
    assert origin_of("http://LOCALHOST:3000/") == "http://localhost:3000"
    assert origin_of("http://localhost:3001") != origin_of("http://localhost:3000")
    assert origin_of("null") is None and origin_of("javascript:alert(1)") is None
