"""CSRF protection for cookie-authenticated requests to /api.

A browser sends the `dp_session` cookie with any request to our site, even one a hostile
page triggers. So a state-changing request (POST, PUT, PATCH, DELETE) that carries the
session cookie and no API key must show that it comes from our own pages:

- its `Origin` (or, without one, its `Referer`) is the origin of `settings.base_url`, and
- it repeats the `dp_csrf` cookie in the `X-CSRF-Token` header or a `csrf_token` form field
  (double submit: another site can make the browser send the cookie, but cannot read it).

A request whose API key authenticates is exempt (browsers do not send keys on their own)
and is then stripped of the session cookie, so it acts as the key's owner only. A key that
does not authenticate switches nothing off. Reflex's own event traffic goes over its
websocket, outside this app. Browser code gets a token from
`GET /api/auth/csrf`, which also sets the cookie.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException
from starlette.requests import Request as StarletteRequest
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dreampixel.api.problems import problem_response
from dreampixel.core.db import uow
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.api_keys import service as api_keys

CSRF_COOKIE = "dp_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
CSRF_COOKIE_MAX_AGE = 7 * 86_400
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A form larger than this is refused rather than buffered in memory to look for the token.
MAX_FORM_BYTES = 1024 * 1024

router = APIRouter(prefix="/auth", tags=["auth"])


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of `url`, lowercased, without the default port; None if not a URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname if port in (None, default) else f"{parts.hostname}:{port}"
    return f"{parts.scheme}://{host}"


def _api_key(headers: Headers) -> str:
    if key := headers.get("x-api-key", "").strip():
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _key_authenticates(plaintext: str) -> bool:
    try:
        with uow() as session:
            api_keys.authenticate(session, plaintext)
    except api_keys.InvalidApiKey:
        return False
    return True


def _without_session_cookie(scope: Scope) -> Scope:
    headers = [(name, value) for name, value in scope["headers"] if name != b"cookie"]
    for name, value in scope["headers"]:
        if name == b"cookie":
            jar = cookie_parser(value.decode("latin-1"))
            kept = "; ".join(f"{k}={v}" for k, v in jar.items() if k != sessions.SESSION_COOKIE)
            if kept:
                headers.append((b"cookie", kept.encode("latin-1")))
    return {**scope, "headers": headers}


def _same_origin(headers: Headers) -> bool:
    allowed = {o for o in (origin_of(url) for url in settings.allowed_origins) if o}
    origin = headers.get("origin")
    if origin is None:
        referer = headers.get("referer")
        origin = origin_of(referer) if referer else None
    else:
        origin = origin_of(origin)
    return origin is not None and origin in allowed


def _tokens_match(cookie: str | None, submitted: str | None) -> bool:
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


class CsrfMiddleware:
    """Refuses cookie-authenticated state changes that lack our origin and the double-submit token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = StarletteRequest(scope)
        if sessions.SESSION_COOKIE not in request.cookies:
            await self.app(scope, receive, send)
            return
        plaintext = _api_key(request.headers)
        authenticated: bool = bool(plaintext) and await asyncio.to_thread(_key_authenticates, plaintext)
        if authenticated:
            await self.app(_without_session_cookie(scope), receive, send)
            return

        cookie = request.cookies.get(CSRF_COOKIE)
        submitted = request.headers.get(CSRF_HEADER)
        if submitted is None and _is_form(request.headers):
            body, receive = await _buffer(receive)
            if body is None:
                await self._refuse(scope, receive, send, "The form is too large.")
                return
            submitted = await _form_token(scope, body)
        if not _same_origin(request.headers):
            await self._refuse(scope, receive, send, "The request does not come from this site.")
            return
        if not _tokens_match(cookie, submitted):
            await self._refuse(scope, receive, send, "The CSRF token is missing or does not match.")
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, detail: str) -> None:
        response = problem_response(status=403, code="csrf_failed", title="CSRF check failed", detail=detail,
                                    request_id=scope.get("state", {}).get("request_id"))
        await response(scope, receive, send)


def _is_form(headers: Headers) -> bool:
    content_type = headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def _buffer(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read the whole body (up to MAX_FORM_BYTES) and a `receive` that replays it downstream."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = Headers(scope=scope).get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1")).get(CSRF_FIELD)
        return values[0] if values else None

    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await StarletteRequest(scope, once).form()
    except MultiPartException:
        return None
    value = form.get(CSRF_FIELD)
    await form.close()
    return value if isinstance(value, str) else None


class CsrfToken(BaseModel):
    csrf_token: str


@router.get("/csrf", response_model=CsrfToken)
def csrf_token(request: Request) -> JSONResponse:
    """The CSRF token for this browser (kept if it has one), also set as the `dp_csrf` cookie."""
    token = request.cookies.get(CSRF_COOKIE) or ""
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
    response = JSONResponse({"csrf_token": token}, headers={"Cache-Control": "no-store"})
    # Not httpOnly on purpose: page scripts read it to send it back in X-CSRF-Token.
    response.set_cookie(CSRF_COOKIE, token, max_age=CSRF_COOKIE_MAX_AGE, httponly=False, samesite="lax",
                        secure=settings.base_url.startswith("https://"), path="/")
    return response
