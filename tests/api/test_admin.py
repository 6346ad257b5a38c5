"""/api/admin over HTTP with a real session cookie: staff read and act; everyone else finds nothing (404)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlmodel import select

from dreampixel.api.admin import router
from dreampixel.api.csrf import CSRF_COOKIE
from dreampixel.core.db import uow
from dreampixel.core.migrations import alembic_config
from dreampixel.core.models import (
    AuditLog,
    ErrorLog,
    Generation,
    GenerationStatus,
    ModerationStatus,
    PromptRule,
    Role,
    Seed,
    User,
)
from dreampixel.core.settings import settings
from services.accounts import sessions
from tests.factories import create_generation, create_seed, create_user

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


# The body each action takes, by the last segment of its path; an action added without one here
# answers 422 below and the walk fails until it is listed.
BODIES: dict[str, dict[str, object]] = {
    "credits": {"amount": 1000, "reason": "crafted"}, "tier": {"tier": "ENTERPRISE"}, "role": {"role": "ADMIN"},
    "suspend": {"reason": "crafted"}, "unsuspend": {}, "state": {"state": "resolved"},
    "moderate": {"approve": True, "reason": "crafted"}, "feature": {"featured": True, "reason": "crafted"},
    "category": {"category": "ANIME", "reason": "crafted"}, "rules": {"phrase": "crafted", "category": "crafted"},
    "{rule_id}": {"enabled": False}, "test": {"prompt": "crafted"},
}
# Routes moderators may use too (tests/api/test_admin_moderation.py walks them as a moderator).
MODERATION = ("/moderate", "/feature", "/category", "/moderation/")


def action_routes() -> list[tuple[str, str]]:
    """(method, path template) of every state-changing /api/admin route, read from the router."""
    found = [(method, str(route.path)) for route in router.routes for method in getattr(route, "methods", ())
             if method in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(found) >= 12
    return found


def world() -> dict[str, str]:
    with uow() as session:
        target = create_user(session, credit_balance=5, email="target@example.test")
        queued = create_generation(session, target, credits_held=2)
        failed = create_generation(session, target, status=GenerationStatus.FAILED)
        seed = create_seed(session, target, moderation_status=ModerationStatus.PENDING, published_at=None)
        error = ErrorLog(source="services", message="boom", fingerprint="d" * 40, logger="services.x")
        rule = PromptRule(phrase="tapioca", normalised="tapioca", category="textures")
        session.add_all([error, rule])
        return {"user_id": target.id, "generation_id": queued.id, "failed": failed.id, "seed_id": seed.id,
                "error_id": error.id, "rule_id": rule.id}


def everything(ids: dict[str, str]) -> tuple[object, ...]:
    with uow() as session:
        target = session.get(User, ids["user_id"])
        seed = session.get(Seed, ids["seed_id"])
        error = session.get(ErrorLog, ids["error_id"])
        assert target is not None and seed is not None and error is not None
        generations = sorted((g.id, g.status) for g in session.exec(select(Generation)).all())
        audit_rows = len(session.exec(select(AuditLog)).all())
        rules = sorted((r.id, r.phrase, r.category, r.enabled) for r in session.exec(select(PromptRule)).all())
        return (target.credit_balance, target.tier, target.role, target.status, seed.moderation_status, seed.featured,
                seed.category, error.state, generations, audit_rows, rules)


@pytest.mark.parametrize("role", [Role.USER, Role.MODERATOR, None], ids=["user", "moderator", "signed-out"])
async def test_every_admin_action_refuses_anyone_but_staff_and_changes_nothing(
    api: httpx.AsyncClient, role: Role | None
) -> None:
    ids = await asyncio.to_thread(world)
    headers = browser((await asyncio.to_thread(signed_in, role))[1]) if role else {
        "cookie": f"{CSRF_COOKIE}={TOKEN}", "origin": settings.base_url, "x-csrf-token": TOKEN}
    before = await asyncio.to_thread(everything, ids)
    for method, template in action_routes():
        if role is Role.MODERATOR and any(part in template for part in MODERATION):
            continue  # moderators may moderate (tests/services/test_roles.py, tests/api/test_admin_moderation.py)
        path = "/api" + router.prefix.removeprefix("/api") + template.removeprefix(router.prefix)
        answer = await api.request(method, path.format(**ids), headers=headers,
                                   json=BODIES.get(template.rsplit("/", 1)[-1]) if method != "DELETE" else None,
                                   params={"reason": "crafted"} if method == "DELETE" else None)
        assert answer.status_code == (401 if role is None else 404), f"{method} {template}: {answer.text}"
    assert await asyncio.to_thread(everything, ids) == before


async def test_removing_more_credits_than_the_balance_is_refused_with_the_balance(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    target_id, _ = await asyncio.to_thread(signed_in, Role.USER, credit_balance=12)
    answer = await api.post(f"/api/admin/users/{target_id}/credits", headers=browser(cookie),
                            json={"amount": -50, "reason": "clawback"})
    assert answer.status_code == 422 and answer.json()["code"] == "balance_too_low"
    assert answer.json()["detail"].startswith("Cannot remove 50 credits: the balance is 12.")
    assert await asyncio.to_thread(balance, target_id) == 12


async def test_an_admin_deletes_an_account_and_the_audit_row_keeps_who_it_was(api: httpx.AsyncClient) -> None:
    admin_id, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    target_id, target_cookie = await asyncio.to_thread(signed_in, Role.USER, email="leaving@example.test")
    without_reason = await api.delete(f"/api/admin/users/{target_id}", headers=browser(cookie))
    assert without_reason.status_code == 422
    answer = await api.delete(f"/api/admin/users/{target_id}", params={"reason": "asked by email"},
                              headers=browser(cookie))
    assert answer.status_code == 200 and answer.json() | {"files_removed": 0} == {
        "object": "admin.deleted", "id": target_id, "target_type": "user", "deleted": True, "files_removed": 0}
    assert (await api.get(f"/api/admin/users/{target_id}", headers=browser(cookie))).status_code == 404
    assert (await api.get("/api/v1/account", headers=browser(target_cookie))).status_code == 401
    trail = (await api.get("/api/admin/audit", params={"target": target_id}, headers=browser(cookie))).json()["data"]
    assert [(e["action"], e["actor_id"], e["reason"], e["before"]["email"]) for e in trail] == [
        ("user.deleted", admin_id, "asked by email", "leaving@example.test")]


async def test_an_admin_deletes_a_generation_and_its_held_credits_go_back(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)

    def arrange() -> tuple[str, str]:
        with uow() as session:
            owner = create_user(session)
            return owner.id, create_generation(session, owner, credits_held=3).id

    owner_id, generation_id = await asyncio.to_thread(arrange)
    answer = await api.delete(f"/api/admin/generations/{generation_id}", params={"reason": "abuse report"},
                              headers=browser(cookie))
    assert answer.status_code == 200 and answer.json()["target_type"] == "generation"
    assert (await api.get(f"/api/admin/generations/{generation_id}", headers=browser(cookie))).status_code == 404
    assert await asyncio.to_thread(balance, owner_id) == 3
    trail = (await api.get("/api/admin/audit", params={"target": generation_id}, headers=browser(cookie))).json()
    assert [(e["action"], e["reason"]) for e in trail["data"]] == [("generation.deleted", "abuse report")]


async def test_an_admin_resends_the_verification_link_to_an_unconfirmed_address(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    unconfirmed, _ = await asyncio.to_thread(signed_in, Role.USER, email_verified_at=None)
    confirmed, _ = await asyncio.to_thread(signed_in, Role.USER)
    sent = await api.post(f"/api/admin/users/{unconfirmed}/verification", headers=browser(cookie))
    again = await api.post(f"/api/admin/users/{confirmed}/verification", headers=browser(cookie))
    assert (sent.status_code, sent.json()["sent"], again.json()["sent"]) == (200, True, False)
    trail = (await api.get("/api/admin/audit", params={"action": "user.verification"}, headers=browser(cookie)))
    assert {e["target_id"] for e in trail.json()["data"]} == {unconfirmed, confirmed}


async def test_ending_sessions_signs_the_account_out_and_says_how_many(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    target_id, target_cookie = await asyncio.to_thread(signed_in, Role.USER)
    answer = await api.post(f"/api/admin/users/{target_id}/sessions/end", headers=browser(cookie))
    assert answer.json() == {"object": "admin.sessions_ended", "user_id": target_id, "ended": 1}
    assert (await api.get("/api/v1/account", headers=browser(target_cookie))).status_code == 401
