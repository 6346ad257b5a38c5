"""Sign-in with Google and GitHub through the real ASGI app and a real OpenID provider over HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from components.oauth import oauth_buttons
from dreampixel.api.app import create_api
from dreampixel.core.models import OAuthAccount, User, UserStatus
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.accounts.service import create_user
from states.edge import accounts
from tests.fakes.oidc import FakeOpenIDProvider

APP_URL = "http://127.0.0.1:8765"


@pytest.fixture
def provider(oidc_provider: FakeOpenIDProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenIDProvider]:
    """Google and GitHub both configured against the fake provider, which starts each test clean."""
    oidc_provider.reset()
    monkeypatch.setattr(settings, "public_url", APP_URL)
    monkeypatch.setattr(settings, "google_client_id", oidc_provider.client_id)
    monkeypatch.setattr(settings, "google_client_secret", SecretStr(oidc_provider.client_secret))
    monkeypatch.setattr(settings, "google_metadata_url", oidc_provider.metadata_url)
    monkeypatch.setattr(settings, "github_client_id", oidc_provider.client_id)
    monkeypatch.setattr(settings, "github_client_secret", SecretStr(oidc_provider.client_secret))
    monkeypatch.setattr(settings, "github_base_url", oidc_provider.github_base_url)
    monkeypatch.setattr(settings, "github_api_url", oidc_provider.github_api_url)
    yield oidc_provider


@pytest.fixture
async def client(provider: FakeOpenIDProvider, live_db: Engine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url=APP_URL) as http:
        yield http


async def authorize(client: httpx.AsyncClient, provider: str = "google", next_path: str = "/gallery") -> str:
    """Start the flow and let the fake provider approve it; returns the callback URL it sends back."""
    start = await client.get(f"/api/auth/oauth/{provider}/start", params={"next": next_path})
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient() as browser:
        approved = await browser.get(start.headers["location"])
    assert approved.status_code == 302, approved.text
    return approved.headers["location"]


async def follow_callback(client: httpx.AsyncClient, callback_url: str) -> httpx.Response:
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}" == APP_URL
    return await client.get(f"{parts.path}?{parts.query}")


async def sign_in(client: httpx.AsyncClient, provider: str = "google", next_path: str = "/gallery") -> httpx.Response:
    return await follow_callback(client, await authorize(client, provider, next_path))


def refused_reason(response: httpx.Response) -> str:
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    query = parse_qs(location.query)
    assert query["error"] == ["oauth"]
    return query["reason"][0]


def db(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


# --- the start of the flow -------------------------------------------------------------------------


async def test_start_redirects_to_the_provider_with_pkce_state_and_nonce(client: httpx.AsyncClient,
                                                                        provider: FakeOpenIDProvider) -> None:
    response = await client.get("/api/auth/oauth/google/start", params={"next": "/gallery"})

    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/authorize"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["state"] and query["nonce"]
    assert query["redirect_uri"] == f"{APP_URL}/api/auth/oauth/google/callback"
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("dp_oauth=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "path=/api/auth/oauth" in cookie.lower() and "max-age=600" in cookie.lower()


async def test_an_unconfigured_provider_is_not_found(client: httpx.AsyncClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "github_client_id", "")

    assert (await client.get("/api/auth/oauth/github/start")).status_code == 404
    assert (await client.get("/api/auth/oauth/github/callback?code=x&state=y")).status_code == 404
    unknown = await client.get("/api/auth/oauth/myspace/start")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


# --- signing in ---------------------------------------------------------------------------------


async def test_first_google_sign_in_creates_a_user_with_a_linked_account_and_a_session(
    client: httpx.AsyncClient, provider: FakeOpenIDProvider, live_db: Engine
) -> None:
    provider.sign_in_as(sub="g-42", email="Ada@Example.com", email_verified=True, name="Ada Lovelace")

    response = await sign_in(client, next_path="/gallery")

    assert response.status_code == 303
    assert response.headers["location"] == "/gallery"
    session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("dp_session="))
    assert "httponly" in session_cookie.lower()
    with db(live_db) as session:
        user = session.exec(select(User).where(User.email == "ada@example.com")).one()
        assert user.name == "Ada Lovelace"
        assert user.password_hash is None
        assert user.email_verified_at is not None
        link = session.exec(select(OAuthAccount).where(OAuthAccount.user_id == user.id)).one()
        assert (link.provider, link.provider_account_id) == ("google", "g-42")
        token = client.cookies.get(sessions.SESSION_COOKIE)
        resolved = sessions.resolve(session, token)
        assert resolved is not None and resolved[1].id == user.id
    assert [r.accepted for r in provider.redemptions] == [True]


async def test_the_second_sign_in_finds_the_same_user(client: httpx.AsyncClient, provider: FakeOpenIDProvider,
                                                      live_db: Engine) -> None:
    provider.sign_in_as(sub="g-7", email="grace@example.com")
    await sign_in(client)
    # The provider's email may change; the link by subject still finds the person.
    provider.sign_in_as(sub="g-7", email="grace.hopper@example.com")

    response = await sign_in(client)

    assert response.status_code == 303
    with db(live_db) as session:
        assert len(session.exec(select(User)).all()) == 1
        assert len(session.exec(select(OAuthAccount)).all()) == 1


async def test_an_existing_account_is_linked_when_the_provider_verified_the_email(
    client: httpx.AsyncClient, provider: FakeOpenIDProvider, live_db: Engine
) -> None:
    with db(live_db) as session:
        existing = create_user(session, email="linus@example.com", password="correct horse battery")
        session.commit()
    provider.sign_in_as(sub="g-9", email="linus@example.com", email_verified=True)

    response = await sign_in(client)

    assert response.headers["location"] == "/gallery"
    with db(live_db) as session:
        link = session.exec(select(OAuthAccount)).one()
        assert link.user_id == existing.id
        assert session.get(User, existing.id).email_verified_at is not None  # type: ignore[union-attr]


async def test_an_existing_account_is_not_linked_with_an_unverified_email(
    client: httpx.AsyncClient, provider: FakeOpenIDProvider, live_db: Engine
) -> None:
    with db(live_db) as session:
        create_user(session, email="victim@example.com", password="correct horse battery")
        session.commit()
    provider.sign_in_as(sub="attacker", email="victim@example.com", email_verified=False)

    response = await sign_in(client)

    assert refused_reason(response) == "unverified_email"
    assert sessions.SESSION_COOKIE not in response.headers.get("set-cookie", "")
    with db(live_db) as session:
        assert session.exec(select(OAuthAccount)).all() == []


async def test_a_suspended_user_is_refused(client: httpx.AsyncClient, provider: FakeOpenIDProvider,
                                           live_db: Engine) -> None:
    provider.sign_in_as(sub="g-13", email="mallory@example.com")
    await sign_in(client)
    with db(live_db) as session:
        user = session.exec(select(User)).one()
        user.status = UserStatus.SUSPENDED
        session.add(user)
        session.commit()
    client.cookies.clear()

    response = await sign_in(client)

    assert refused_reason(response) == "suspended"
    assert sessions.SESSION_COOKIE not in client.cookies


async def test_an_unsafe_next_falls_back_to_generate(client: httpx.AsyncClient) -> None:
    response = await sign_in(client, next_path="//evil.example/phish")

    assert response.headers["location"] == "/generate"


async def test_github_signs_in_with_the_verified_primary_email(
    client: httpx.AsyncClient, provider: FakeOpenIDProvider, live_db: Engine
) -> None:
    provider.sign_in_as(sub="583231", email="octo@example.com", email_verified=True, name="Mona Octocat")

    start = await client.get("/api/auth/oauth/github/start")
    assert start.headers["location"].startswith(f"{provider.github_base_url}/login/oauth/authorize?")
    response = await sign_in(client, "github")

    assert response.status_code == 303 and response.headers["location"] == "/gallery"
    with db(live_db) as session:
        link = session.exec(select(OAuthAccount)).one()
        assert (link.provider, link.provider_account_id, link.email) == ("github", "583231", "octo@example.com")
        user = session.get(User, link.user_id)
        assert user is not None and user.name == "Mona Octocat" and user.email_verified_at is not None


# --- what must fail --------------------------------------------------------------------------------


async def test_a_forged_state_is_refused(client: httpx.AsyncClient, provider: FakeOpenIDProvider,
                                         caplog: pytest.LogCaptureFixture) -> None:
    callback = await authorize(client)
    forged = callback.replace("state=", "state=forged")

    with caplog.at_level(logging.WARNING):
        response = await follow_callback(client, forged)

    assert refused_reason(response) == "failed"
    assert provider.redemptions == [], "the code never reaches the provider"
    assert any("oauth.failed" in str(record.msg) for record in caplog.records)


async def test_a_replayed_code_is_refused_by_the_provider(client: httpx.AsyncClient,
                                                          provider: FakeOpenIDProvider) -> None:
    first = await authorize(client)
    await follow_callback(client, first)
    # A new flow gives the browser a valid state; the attacker pairs it with the spent code.
    second = parse_qs(urlsplit(await authorize(client)).query)
    used_code = parse_qs(urlsplit(first).query)["code"][0]
    client.cookies.delete(sessions.SESSION_COOKIE)

    response = await client.get("/api/auth/oauth/google/callback",
                                params={"code": used_code, "state": second["state"][0]})

    assert refused_reason(response) == "failed"
    assert [(r.code, r.accepted) for r in provider.redemptions] == [(used_code, True), (used_code, False)]
    assert sessions.SESSION_COOKIE not in client.cookies


async def test_the_same_callback_twice_is_refused(client: httpx.AsyncClient) -> None:
    callback = await authorize(client)
    assert (await follow_callback(client, callback)).headers["location"] == "/gallery"

    assert refused_reason(await follow_callback(client, callback)) == "failed"


# --- the buttons ---------------------------------------------------------------------------------------


def test_the_buttons_render_nothing_when_no_provider_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "google_client_id", "")
    monkeypatch.setattr(settings, "github_client_id", "")

    assert accounts.oauth_providers() == []
    assert str(oauth_buttons(providers=accounts.oauth_providers())) == "jsx(Fragment,{},)"


def test_the_buttons_link_to_each_configured_provider(provider: FakeOpenIDProvider,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "github_client_id", "")

    rendered = str(oauth_buttons("/seeds", providers=accounts.oauth_providers()))

    assert "Continue with Google" in rendered
    assert 'to:"/api/auth/oauth/google/start?next=/seeds"' in rendered
    assert "reloadDocument:true" in rendered
    assert "GitHub" not in rendered


async def test_an_id_token_with_another_nonce_is_refused(client: httpx.AsyncClient,
                                                         provider: FakeOpenIDProvider) -> None:
    callback = await authorize(client)
    provider.issued[-1].nonce = "a-nonce-from-another-login"

    response = await follow_callback(client, callback)

    assert refused_reason(response) == "failed"
    assert sessions.SESSION_COOKIE not in client.cookies
