"""/api/auth/oauth: "Continue with Google / GitHub".

The authorization code flow with PKCE (S256) and `state`, plus a `nonce` in Google's ID token,
all done by authlib's Starlette client. authlib keeps the state, verifier and nonce in
`request.session`, so this router lives in a small sub-app of its own whose signed,
ten-minute `dp_oauth` cookie is scoped to these paths and touches nothing else of the API.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from authlib.integrations.starlette_client.apps import StarletteOAuth2App
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from dreampixel.api.auth import client_ip, safe_next, set_session_cookie
from dreampixel.api.problems import install_problem_handlers
from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound
from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.accounts import oauth as oauth_service
from services.accounts import sessions

MOUNT_PATH = "/auth/oauth"
STATE_COOKIE = "dp_oauth"
STATE_SECONDS = 600

log = get_logger("dreampixel.api.oauth")
router = APIRouter(tags=["auth"])


@lru_cache(maxsize=8)
def _client(config: oauth_service.ProviderConfig) -> StarletteOAuth2App:
    # One client per configuration: it caches the discovery document and the provider's keys.
    registry = OAuth()
    client_kwargs = {"scope": config.scope, "code_challenge_method": "S256"}
    if config.is_openid:
        registry.register(config.name, client_id=config.client_id, client_secret=config.client_secret,
                          server_metadata_url=config.server_metadata_url, client_kwargs=client_kwargs)
    else:
        registry.register(config.name, client_id=config.client_id, client_secret=config.client_secret,
                          authorize_url=config.authorize_url, access_token_url=config.access_token_url,
                          api_base_url=config.api_base_url, client_kwargs=client_kwargs)
    client: StarletteOAuth2App = registry.create_client(config.name)
    return client


def _configured(provider: str) -> tuple[oauth_service.ProviderConfig, StarletteOAuth2App]:
    config = oauth_service.provider_config(provider)
    if config is None:
        raise NotFound(f"Sign-in with {provider!r} is not available.")
    return config, _client(config)


def _next_key(provider: str) -> str:
    return f"next_{provider}"


def _intent_key(provider: str) -> str:
    return f"intent_{provider}"


REAUTH = "reauth"
LINK = "link"
# Where a signed-in person's flow (reauth, link) goes back to, with ?oauth_error= when refused.
ACCOUNT_PAGE = "/account"


@router.get("/{provider}/start")
async def start(request: Request, provider: str, next: str = "/generate", intent: str = "signin") -> RedirectResponse:
    """Send the browser to the provider's consent page.

    `intent=reauth`: a signed-in person proves it is them again, with a provider account
    linked to theirs, before a sensitive change; their current session becomes recent.
    `intent=link`: a signed-in person, recently authenticated, connects a provider account.
    """
    config, client = _configured(provider)
    request.session[_next_key(provider)] = safe_next(next)
    request.session[_intent_key(provider)] = intent if intent in (REAUTH, LINK) else "signin"
    try:
        response: RedirectResponse = await client.authorize_redirect(request, oauth_service.callback_url(provider))
    except (httpx.HTTPError, AuthlibBaseError, ValueError) as error:
        # Google's discovery document could not be read: the provider is down or misconfigured.
        return _failed(provider, "provider_unreachable", error)
    log.info("oauth.started", provider=config.name)
    return response


@router.get("/{provider}/callback")
async def callback(request: Request, provider: str) -> RedirectResponse:
    """Exchange the code, find or create the user, start their session."""
    config, client = _configured(provider)
    next_path = safe_next(request.session.pop(_next_key(provider), None))
    intent = request.session.pop(_intent_key(provider), "signin")
    page = ACCOUNT_PAGE if intent in (REAUTH, LINK) else "/login"
    if request.query_params.get("error") == "access_denied":
        return _failed(provider, "denied", "the person declined at the provider", page=page)
    try:
        # Checks `state` against our cookie, sends the PKCE verifier, and (Google) checks the nonce.
        token = await client.authorize_access_token(request)
        identity = await _identity(config, client, token)
    except oauth_service.OAuthRefused as refused:
        return _failed(provider, refused.reason, refused.message, page=page)
    except (AuthlibBaseError, JoseError, httpx.HTTPError, KeyError, ValueError) as error:
        return _failed(provider, "failed", error, page=page)

    if intent in (REAUTH, LINK):
        return await _for_signed_in(request, provider, identity, next_path, intent)

    def finish() -> str:
        with uow() as session:
            user = oauth_service.sign_in(session, identity)
            log.info("oauth.signed_in", provider=provider, user_id=user.id)
            return sessions.create(session, user_id=user.id, ip=client_ip(request),
                                   user_agent=request.headers.get("user-agent"))

    try:
        token_value = await run_in_threadpool(finish)
    except oauth_service.OAuthRefused as refused:
        return _failed(provider, refused.reason, refused.message)
    request.session.clear()
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, token_value)
    return response


async def _for_signed_in(request: Request, provider: str, identity: oauth_service.Identity, next_path: str,
                         intent: str) -> RedirectResponse:
    """Reauthenticate or link for the browser's current session; refusals go back to the account page."""
    def apply() -> None:
        with uow() as session:
            found = sessions.resolve(session, request.cookies.get(sessions.SESSION_COOKIE))
            if found is None:
                raise oauth_service.OAuthRefused("nobody is signed in", reason="signed_out")
            auth_session, user = found
            if intent == LINK:
                oauth_service.connect(session, identity, user_id=user.id, session_id=auth_session.id)
            elif not oauth_service.reauthenticate(session, identity, user_id=user.id, session_id=auth_session.id):
                raise oauth_service.OAuthRefused("not a provider account linked to the signed-in user",
                                                 reason="reauth_mismatch")

    try:
        await run_in_threadpool(apply)
    except oauth_service.OAuthRefused as refused:
        return _failed(provider, refused.reason, refused.message, page=ACCOUNT_PAGE)
    request.session.clear()
    log.info("oauth.account_flow_done", provider=provider, intent=intent)
    return RedirectResponse(next_path, status_code=303)


async def _identity(config: oauth_service.ProviderConfig, client: StarletteOAuth2App,
                    token: dict[str, Any]) -> oauth_service.Identity:
    if config.is_openid:
        claims = token.get("userinfo")
        if not claims:
            raise oauth_service.OAuthRefused("the provider sent no ID token", reason="failed")
        return oauth_service.google_identity(claims)
    user = await client.get("user", token=token)
    user.raise_for_status()
    emails = await client.get("user/emails", token=token)
    # Without the user:email scope granted, GitHub answers 404 here; the profile's email then decides.
    email_list = emails.json() if emails.status_code == 200 else []
    return oauth_service.github_identity(user.json(), email_list)


def _failed(provider: str, reason: str, detail: object, *, page: str = "/login") -> RedirectResponse:
    log.warning("oauth.failed", provider=provider, reason=reason, detail=str(detail)[:300])
    if page == ACCOUNT_PAGE:
        return RedirectResponse(page + "?" + urlencode({"oauth_error": reason, "provider": provider}), status_code=303)
    return RedirectResponse("/login?" + urlencode({"error": "oauth", "reason": reason, "provider": provider}), status_code=303)


def create_oauth_app() -> FastAPI:
    """The sub-app mounted at /api/auth/oauth, with the session cookie authlib needs."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_problem_handlers(app)
    app.include_router(router)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie=STATE_COOKIE,
        max_age=STATE_SECONDS,
        path="/api" + MOUNT_PATH,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    return app
