"""/api/admin over HTTP with a real session cookie: staff read and act; everyone else finds nothing (404)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from alembic.script import ScriptDirectory

from dreampixel.api.csrf import CSRF_COOKIE
from dreampixel.core.db import uow
from dreampixel.core.migrations import alembic_config
from dreampixel.core.models import ErrorLog, Role, User
from dreampixel.core.settings import settings
from services.accounts import sessions
from tests.factories import create_generation, create_user

TOKEN = "csrf-token-for-admin-tests"
READS = ["/api/admin/stats", "/api/admin/users", "/api/admin/generations", "/api/admin/generations?stuck=true",
         "/api/admin/audit", "/api/admin/errors", "/api/admin/system"]


def signed_in(role: Role, **fields: object) -> tuple[str, str]:
    with uow() as session:
        user = create_user(session, role=role, **fields)
        return user.id, sessions.create(session, user_id=user.id, ip=None, user_agent=None)


def browser(cookie: str) -> dict[str, str]:
    return {"cookie": f"{sessions.SESSION_COOKIE}={cookie}; {CSRF_COOKIE}={TOKEN}",
            "origin": settings.base_url, "x-csrf-token": TOKEN}


def balance(user_id: str) -> int:
    with uow() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.credit_balance


@pytest.mark.parametrize("role", [Role.USER, Role.MODERATOR])
async def test_every_admin_read_is_a_404_for_anyone_but_an_admin(api: httpx.AsyncClient, role: Role) -> None:
    _id, cookie = await asyncio.to_thread(signed_in, role)
    for path in READS:
        answer = await api.get(path, headers=browser(cookie))
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"


async def test_a_user_cannot_grant_credits_to_themself(api: httpx.AsyncClient) -> None:
    user_id, cookie = await asyncio.to_thread(signed_in, Role.USER)
    answer = await api.post(f"/api/admin/users/{user_id}/credits", headers=browser(cookie),
                            json={"amount": 1000, "reason": "free money"})
    assert answer.status_code == 404
    assert await asyncio.to_thread(balance, user_id) == 0


async def test_a_stranger_must_sign_in(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/admin/users")).status_code == 401


async def test_an_admin_finds_a_user_and_grants_credits(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    target_id, _ = await asyncio.to_thread(signed_in, Role.USER, email="grace@hopper.test")
    found = await api.get("/api/admin/users", params={"q": "hopper"}, headers=browser(cookie))
    assert found.status_code == 200 and [u["id"] for u in found.json()["data"]] == [target_id]
    granted = await api.post(f"/api/admin/users/{target_id}/credits", headers=browser(cookie),
                             json={"amount": 25, "reason": "conference speaker"})
    assert granted.status_code == 200 and granted.json()["credit_balance"] == 25
    detail = (await api.get(f"/api/admin/users/{target_id}", headers=browser(cookie))).json()
    assert detail["ledger"][0]["delta"] == 25
    assert detail["audit"][0]["action"] == "user.credits_granted"
    assert detail["audit"][0]["reason"] == "conference speaker"


async def test_an_admin_action_without_the_csrf_token_is_refused(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    target_id, _ = await asyncio.to_thread(signed_in, Role.USER)
    headers = {"cookie": f"{sessions.SESSION_COOKIE}={cookie}", "origin": settings.base_url}
    answer = await api.post(f"/api/admin/users/{target_id}/credits", headers=headers,
                            json={"amount": 25, "reason": "x"})
    assert answer.status_code == 403
    assert await asyncio.to_thread(balance, target_id) == 0


async def test_the_generations_list_filters_by_status(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)

    def arrange() -> str:
        with uow() as session:
            owner = create_user(session)
            create_generation(session, owner)
            return create_generation(session, owner, status="failed", error_code="provider_error").id

    failed_id = await asyncio.to_thread(arrange)
    listed = await api.get("/api/admin/generations", params={"status": "failed"}, headers=browser(cookie))
    assert [g["id"] for g in listed.json()["data"]] == [failed_id]


async def test_the_stats_answer_the_dashboards_numbers(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    answer = await api.get("/api/admin/stats", headers=browser(cookie))
    assert answer.status_code == 200
    assert answer.json()["users_total"] == 1 and len(answer.json()["generations_per_day"]) == 14


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_the_system_report_names_the_schema_revision_and_the_checks(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    report = (await api.get("/api/admin/system", headers=browser(cookie))).json()
    assert report["database"]["revision"] == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert report["health"]["checks"]["database"]["ok"] is True
    assert report["queue"]["depth"] == 0


async def test_an_admin_resolves_a_captured_error_and_the_audit_log_says_so(api: httpx.AsyncClient) -> None:
    admin_id, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)

    def arrange() -> str:
        with uow() as session:
            row = ErrorLog(source="services", message="boom", fingerprint="e" * 40, logger="services.x")
            session.add(row)
            return row.id

    error_id = await asyncio.to_thread(arrange)
    listed = await api.get("/api/admin/errors", headers=browser(cookie))
    assert [e["id"] for e in listed.json()["data"]] == [error_id]
    resolved = await api.post(f"/api/admin/errors/{error_id}/state", headers=browser(cookie),
                              json={"state": "resolved"})
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert (await api.get("/api/admin/errors", headers=browser(cookie))).json()["data"] == []
    trail = (await api.get("/api/admin/audit", params={"target": error_id}, headers=browser(cookie))).json()
    assert [(e["action"], e["actor_id"], e["before"], e["after"]) for e in trail["data"]] == [
        ("error.resolved", admin_id, "open", "resolved")]
