"""Typed dependencies shared by the API routers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars

from dreampixel.core.db import uow
from dreampixel.core.errors import Forbidden, RateLimited, Unauthorized
from dreampixel.core.models import Role
from services import ratelimit
from services.accounts import sessions
from services.api_keys import service as api_keys


def _request_session() -> Iterator[Session]:
    with uow() as session:
        yield session


# scope="function": the unit of work commits when the endpoint returns, before the
# response is sent, so a failed commit becomes an error response and never a false 2xx.
SessionDep = Annotated[Session, Depends(_request_session, scope="function")]


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling: the key's owner and the key (ids and plain values, not rows)."""

    user_id: str
    key_id: str
    scopes: frozenset[str]
    tier: str


def _api_key_from(request: Request) -> str:
    header = request.headers.get("x-api-key")
    if header:
        return header.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return ""


def _authenticate(plaintext: str) -> ApiCaller:
    """The caller of a key, read on every request (a revoked key fails the very next one)."""
    with uow(read_only=True) as session:
        verified = api_keys.verify(session, plaintext)
    if verified.last_used_due:  # at most once a minute per key: the common request writes nothing
        with uow() as session:
            api_keys.touch(session, key_id=verified.key_id)
    return ApiCaller(user_id=verified.user_id, key_id=verified.key_id, scopes=verified.scopes, tier=verified.tier)


# Requests that create a generation (submit, retry, and the original API's submit) count
# against the generation-create limit too. Paths are relative to the /api mount.
GENERATION_CREATING_PATH = re.compile(r"(?:/v1)?/generations(?:/[^/]+/retry)?/?")
RATE_LIMIT_STATE = "rate_limit"


def _creates_generation(request: Request) -> bool:
    path, root = request.scope["path"], request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return request.method == "POST" and GENERATION_CREATING_PATH.fullmatch(path) is not None


def _rate_limit(caller: ApiCaller, *, creates_generation: bool) -> tuple[ratelimit.Decision, str]:
    """Count the request against the owner's tier limit (and the generation-create limit): the
    decision the RateLimit-* headers describe, and what it counts."""
    decision = ratelimit.hit(f"api:{caller.user_id}", *ratelimit.api_limit(caller.tier))
    if decision.allowed and creates_generation:
        created = ratelimit.hit(f"generations:{caller.user_id}", *ratelimit.generation_create_limit(caller.tier))
        # The headers describe whichever limit is nearer to refusing.
        if not created.allowed or created.remaining < decision.remaining:
            return created, "new generations"
    return decision, "requests"


def _admit(plaintext: str, *, creates_generation: bool) -> tuple[ApiCaller, ratelimit.Decision, str]:
    # One trip off the event loop for both: the key's rows and the limiter's counters (Redis).
    caller = _authenticate(plaintext)
    return caller, *_rate_limit(caller, creates_generation=creates_generation)


class RateLimitHeadersMiddleware:
    """Writes RateLimit-Limit/-Remaining/-Reset on every response whose request was counted.

    The dependency records the decision in the request state; writing the headers here puts
    them on problem responses too, which exception handlers build from scratch.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            decision = state.get(RATE_LIMIT_STATE)
            if message["type"] == "http.response.start" and isinstance(decision, ratelimit.Decision):
                headers = MutableHeaders(scope=message)
                headers["RateLimit-Limit"] = str(decision.limit)
                headers["RateLimit-Remaining"] = str(decision.remaining)
                headers["RateLimit-Reset"] = str(decision.reset_seconds)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def require(scope: str) -> Any:
    """A dependency that authenticates the API key, counts the request against its owner's
    rate limits, and checks the key carries `scope`."""

    async def dependency(request: Request) -> ApiCaller:
        caller, decision, what = await asyncio.to_thread(_admit, _api_key_from(request),
                                                   creates_generation=_creates_generation(request))
        bind_contextvars(user_id=caller.user_id, api_key_id=caller.key_id)
        setattr(request.state, RATE_LIMIT_STATE, decision)
        if not decision.allowed:
            raise RateLimited(
                f"Your plan allows {decision.limit} {what} per window; "
                f"try again in {decision.reset_seconds} s.",
                headers={"Retry-After": str(decision.reset_seconds)},
            )
        if scope not in caller.scopes:
            raise api_keys.MissingScope(f"This API key lacks the {scope!r} scope.")
        return caller

    return Depends(dependency)


@dataclass(frozen=True)
class WebCaller:
    """A signed-in browser: the session cookie's user (ids and plain values, not rows)."""

    user_id: str
    session_id: str
    role: Role
    tier: str


def _web_caller(request: Request) -> WebCaller:
    token = request.cookies.get(sessions.SESSION_COOKIE)
    with uow() as session:
        resolved = sessions.resolve(session, token)
        if resolved is None:
            raise Unauthorized("Sign in to continue.", code="not_signed_in")
        auth_session, user = resolved
        caller = WebCaller(user_id=user.id, session_id=auth_session.id, role=user.role, tier=user.tier.value)
    bind_contextvars(user_id=caller.user_id)
    return caller


SessionCaller = Annotated[WebCaller, Depends(_web_caller)]


def require_role(*roles: Role) -> Any:
    """A dependency: the signed-in user, who must hold one of `roles` (services check again)."""
    allowed = frozenset(roles)

    def dependency(caller: SessionCaller) -> WebCaller:
        if caller.role not in allowed:
            raise Forbidden("Your role may not do this.")
        return caller

    return Depends(dependency)
