"""/api/admin: account and seed moderation for signed-in staff (cookie session, CSRF-checked).

Thin wrappers: services.accounts.admin and services.seeds.moderation decide who may do what.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from dreampixel.api.deps import SessionCaller, WebCaller
from dreampixel.core.db import uow
from dreampixel.core.errors import Unauthorized
from dreampixel.core.models import Role, User
from services.accounts import admin
from services.accounts.schemas import UserStanding
from services.seeds import moderation
from services.seeds.schemas import SeedModeration

router = APIRouter(prefix="/admin", tags=["admin"])


class ReasonInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=admin.REASON_MAX_LENGTH)


class RoleInput(ReasonInput):
    role: Role


class ModerationInput(ReasonInput):
    approve: bool


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _actor(session: Session, caller: WebCaller) -> User:
    actor = session.get(User, caller.user_id)
    if actor is None:
        raise Unauthorized("Sign in to continue.", code="not_signed_in")
    return actor


@router.post("/users/{user_id}/suspend")
def suspend_user(user_id: str, body: ReasonInput, request: Request, caller: SessionCaller) -> UserStanding:
    """Suspend an account: every session and API key of it stops working now."""
    with uow() as session:
        user = admin.suspend(session, actor=_actor(session, caller), user_id=user_id, reason=body.reason,
                             ip=_client_ip(request))
        return UserStanding.of(user)


@router.post("/users/{user_id}/unsuspend")
def unsuspend_user(user_id: str, body: ReasonInput, request: Request, caller: SessionCaller) -> UserStanding:
    with uow() as session:
        user = admin.unsuspend(session, actor=_actor(session, caller), user_id=user_id, reason=body.reason,
                               ip=_client_ip(request))
        return UserStanding.of(user)


@router.post("/users/{user_id}/role")
def change_role(user_id: str, body: RoleInput, request: Request, caller: SessionCaller) -> UserStanding:
    with uow() as session:
        user = admin.set_role(session, actor=_actor(session, caller), user_id=user_id, role=body.role,
                              reason=body.reason, ip=_client_ip(request))
        return UserStanding.of(user)


@router.post("/seeds/{seed_id}/moderate")
def moderate_seed(
    seed_id: str, body: ModerationInput, request: Request, caller: SessionCaller
) -> SeedModeration:
    with uow() as session:
        seed = moderation.moderate_seed(session, actor=_actor(session, caller), seed_id=seed_id,
                                        approve=body.approve, reason=body.reason, ip=_client_ip(request))
        return SeedModeration.of(seed)
