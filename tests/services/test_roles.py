"""Roles: moderators moderate seeds, only admins suspend accounts and change roles."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, select

from dreampixel.api.app import create_api
from dreampixel.api.csrf import CSRF_COOKIE
from dreampixel.api.deps import WebCaller, require_role
from dreampixel.api.problems import install_problem_handlers
from dreampixel.core.db import uow
from dreampixel.core.errors import Conflict, Forbidden, ValidationFailed
from dreampixel.core.models import ApiKey, AuditLog, AuthSession, ModerationStatus, Role, Seed, User, UserStatus
from dreampixel.core.settings import settings
from services.accounts import admin, sessions
from services.api_keys import service as api_keys
from services.seeds import moderation
from tests.factories import create_seed, create_user

TOKEN = "c" * 43


def pending_seed(session: Session) -> Seed:
    return create_seed(session, moderation_status=ModerationStatus.PENDING, published_at=None)


def audit_rows(session: Session, target_id: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.target_id == target_id)).all())


# ---- through the service ---------------------------------------------------------------------


def test_a_moderator_can_approve_a_seed(session: Session) -> None:
    moderator, seed = create_user(session, role=Role.MODERATOR), pending_seed(session)
    moderation.moderate_seed(session, actor=moderator, seed_id=seed.id, approve=True, reason="Looks good")
    assert seed.moderation_status is ModerationStatus.APPROVED and seed.published_at is not None
    assert seed.moderated_by_id == moderator.id
    [row] = audit_rows(session, seed.id)
    assert (row.action, row.actor_id, row.details["reason"]) == ("seed.approved", moderator.id, "Looks good")


def test_a_rejection_needs_a_reason(session: Session) -> None:
    moderator, seed = create_user(session, role=Role.MODERATOR), pending_seed(session)
    with pytest.raises(ValidationFailed):
        moderation.moderate_seed(session, actor=moderator, seed_id=seed.id, approve=False, reason=" ")
    moderation.moderate_seed(session, actor=moderator, seed_id=seed.id, approve=False, reason="Copied artwork")
    assert seed.moderation_status is ModerationStatus.REJECTED and seed.published_at is None


def test_a_plain_user_cannot_moderate(session: Session) -> None:
    user, seed = create_user(session), pending_seed(session)
    with pytest.raises(Forbidden) as refused:
        moderation.moderate_seed(session, actor=user, seed_id=seed.id, approve=True, reason="")
    assert refused.value.code == "forbidden" and refused.value.status_code == 403
    assert seed.moderation_status is ModerationStatus.PENDING


def test_a_moderator_cannot_suspend_or_change_roles(session: Session) -> None:
    moderator, target = create_user(session, role=Role.MODERATOR), create_user(session)
    with pytest.raises(Forbidden):
        admin.suspend(session, actor=moderator, user_id=target.id, reason="spam")
    with pytest.raises(Forbidden):
        admin.unsuspend(session, actor=moderator, user_id=target.id)
    with pytest.raises(Forbidden):
        admin.set_role(session, actor=moderator, user_id=moderator.id, role=Role.ADMIN)
    assert target.status is UserStatus.ACTIVE and moderator.role is Role.MODERATOR
    assert audit_rows(session, target.id) == []


def test_a_suspended_admin_has_no_powers(session: Session) -> None:
    fallen, target = create_user(session, role=Role.ADMIN, status=UserStatus.SUSPENDED), create_user(session)
    with pytest.raises(Forbidden):
        admin.suspend(session, actor=fallen, user_id=target.id, reason="spam")


def test_an_admin_suspends_and_every_session_and_key_is_revoked(session: Session) -> None:
    boss, target = create_user(session, role=Role.ADMIN), create_user(session)
    for _ in range(2):
        sessions.create(session, user_id=target.id, ip=None, user_agent=None)
        api_keys.create_key(session, user_id=target.id, name="k")
    admin.suspend(session, actor=boss, user_id=target.id, reason="chargeback fraud", ip="198.51.100.7")
    assert target.status is UserStatus.SUSPENDED
    web = session.exec(select(AuthSession).where(AuthSession.user_id == target.id)).all()
    keys = session.exec(select(ApiKey).where(ApiKey.user_id == target.id)).all()
    assert len(web) == len(keys) == 2
    assert all(row.revoked_at is not None for row in web) and all(key.revoked_at is not None for key in keys)
    [row] = audit_rows(session, target.id)
    assert (row.action, row.actor_id, row.target_type, row.ip) == ("user.suspended", boss.id, "user", "198.51.100.7")
    assert row.details == {"reason": "chargeback fraud", "before": "ACTIVE", "after": "SUSPENDED", "sessions_revoked": 2,
                           "api_keys_revoked": 2}


def test_an_admin_unsuspends(session: Session) -> None:
    boss, target = create_user(session, role=Role.ADMIN), create_user(session, status=UserStatus.SUSPENDED)
    admin.unsuspend(session, actor=boss, user_id=target.id, reason="appeal accepted")
    assert target.status is UserStatus.ACTIVE
    assert [r.action for r in audit_rows(session, target.id)] == ["user.unsuspended"]


def test_an_admin_cannot_suspend_themself(session: Session) -> None:
    boss = create_user(session, role=Role.ADMIN)
    with pytest.raises(Conflict):
        admin.suspend(session, actor=boss, user_id=boss.id, reason="oops")


def test_an_admin_changes_roles(session: Session) -> None:
    boss, target = create_user(session, role=Role.ADMIN), create_user(session)
    admin.set_role(session, actor=boss, user_id=target.id, role=Role.MODERATOR)
    assert target.role is Role.MODERATOR
    [row] = audit_rows(session, target.id)
    assert row.action == "user.role_changed" and (row.details["from"], row.details["to"]) == ("USER", "MODERATOR")


def test_the_last_admin_cannot_demote_themself(session: Session) -> None:
    boss = create_user(session, role=Role.ADMIN)
    with pytest.raises(Conflict) as refused:
        admin.set_role(session, actor=boss, user_id=boss.id, role=Role.USER)
    assert refused.value.code == "last_admin" and boss.role is Role.ADMIN


def test_an_admin_with_a_colleague_may_step_down(session: Session) -> None:
    boss, _colleague = create_user(session, role=Role.ADMIN), create_user(session, role=Role.ADMIN)
    admin.set_role(session, actor=boss, user_id=boss.id, role=Role.MODERATOR)
    assert boss.role is Role.MODERATOR


# ---- through /api/admin with a real session cookie ---------------------------------------------


@pytest.fixture
async def api(live_db: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()),
                                 base_url="http://dreampixel.test") as http:
        yield http


def signed_in(role: Role) -> tuple[str, str]:
    with uow() as session:
        user = create_user(session, role=role)
        return user.id, sessions.create(session, user_id=user.id, ip=None, user_agent=None)


def arrange() -> dict[str, Any]:
    with uow() as session:
        target = create_user(session)
        return {"target": target.id, "seed": pending_seed(session).id}


def browser(cookie: str) -> dict[str, str]:
    return {"cookie": f"{sessions.SESSION_COOKIE}={cookie}; {CSRF_COOKIE}={TOKEN}",
            "origin": settings.base_url, "x-csrf-token": TOKEN}


async def test_a_moderator_moderates_but_cannot_suspend_or_change_roles_through_the_api(
    api: httpx.AsyncClient,
) -> None:
    _moderator, cookie = await asyncio.to_thread(signed_in, Role.MODERATOR)
    ids = await asyncio.to_thread(arrange)
    moderated = await api.post(f"/api/admin/seeds/{ids['seed']}/moderate", headers=browser(cookie),
                               json={"approve": False, "reason": "Not safe for work"})
    assert moderated.status_code == 200 and moderated.json()["moderation_status"] == "REJECTED"
    suspended = await api.post(f"/api/admin/users/{ids['target']}/suspend", headers=browser(cookie),
                               json={"reason": "spam"})
    promoted = await api.post(f"/api/admin/users/{ids['target']}/role", headers=browser(cookie),
                              json={"role": "ADMIN"})
    for refused in (suspended, promoted):  # the admin-only console does not exist for a moderator
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"

    def target_state() -> tuple[UserStatus, Role]:
        with uow() as session:
            user = session.get(User, ids["target"])
            assert user is not None
            return user.status, user.role

    assert await asyncio.to_thread(target_state) == (UserStatus.ACTIVE, Role.USER)


async def test_an_admin_suspends_and_changes_roles_through_the_api(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    ids = await asyncio.to_thread(arrange)
    promoted = await api.post(f"/api/admin/users/{ids['target']}/role", headers=browser(cookie),
                              json={"role": "MODERATOR"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "MODERATOR"
    suspended = await api.post(f"/api/admin/users/{ids['target']}/suspend", headers=browser(cookie),
                               json={"reason": "spam"})
    assert suspended.status_code == 200 and suspended.json()["status"] == "SUSPENDED"
    restored = await api.post(f"/api/admin/users/{ids['target']}/unsuspend", headers=browser(cookie), json={})
    assert restored.json()["status"] == "ACTIVE"
    approved = await api.post(f"/api/admin/seeds/{ids['seed']}/moderate", headers=browser(cookie),
                              json={"approve": True})
    assert approved.json()["moderation_status"] == "APPROVED"


async def test_the_last_admin_cannot_demote_themself_through_the_api(api: httpx.AsyncClient) -> None:
    admin_id, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    refused = await api.post(f"/api/admin/users/{admin_id}/role", headers=browser(cookie), json={"role": "USER"})
    assert refused.status_code == 409 and refused.json()["code"] == "last_admin"


async def test_a_plain_user_finds_nothing_and_a_stranger_unauthorized(api: httpx.AsyncClient) -> None:
    _user, cookie = await asyncio.to_thread(signed_in, Role.USER)
    ids = await asyncio.to_thread(arrange)
    path = f"/api/admin/seeds/{ids['seed']}/moderate"
    assert (await api.post(path, headers=browser(cookie), json={"approve": True})).status_code == 404
    stranger = await api.post(path, headers=browser("not-a-session"), json={"approve": True})
    assert stranger.status_code == 401 and stranger.json()["code"] == "not_signed_in"


async def test_require_role_admits_only_the_listed_roles(live_db: Engine) -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/staff")
    def staff(caller: WebCaller = require_role(Role.MODERATOR, Role.ADMIN)) -> dict[str, str]:
        return {"role": caller.role.value}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        for role, status in ((Role.USER, 403), (Role.MODERATOR, 200), (Role.ADMIN, 200)):
            _id, cookie = await asyncio.to_thread(signed_in, role)
            answer = await http.get("/staff", headers={"cookie": f"{sessions.SESSION_COOKIE}={cookie}"})
            assert answer.status_code == status, role
        assert (await http.get("/staff")).status_code == 401
