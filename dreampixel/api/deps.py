"""Typed dependencies shared by the API routers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session
from structlog.contextvars import bind_contextvars

from dreampixel.core.db import uow
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


def _authenticate(request: Request) -> ApiCaller:
    plaintext = _api_key_from(request)
    with uow() as session:
        key, user = api_keys.authenticate(session, plaintext)
        caller = ApiCaller(user_id=user.id, key_id=key.id, scopes=frozenset(key.scopes), tier=user.tier.value)
    bind_contextvars(user_id=caller.user_id, api_key_id=caller.key_id)
    return caller


def require(scope: str) -> Any:
    """A dependency that authenticates the API key and checks it carries `scope`."""

    def dependency(caller: Annotated[ApiCaller, Depends(_authenticate)]) -> ApiCaller:
        if scope not in caller.scopes:
            raise api_keys.MissingScope(f"This API key lacks the {scope!r} scope.")
        return caller

    return Depends(dependency)
