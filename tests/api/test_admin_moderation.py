"""/api/admin moderation over HTTP: staff manage prompt rules, test prompts, read the blocked-prompt log
and decide on seeds; a USER finds every admin route missing (404) and changes nothing."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from fastapi.routing import APIRoute
from sqlmodel import select

from dreampixel.api.admin import router
from dreampixel.core.db import uow
from dreampixel.core.models import AuditLog, ModerationStatus, PromptRule, Role, Seed
from tests.api.test_admin import browser, signed_in
from tests.factories import create_seed, create_user
from tests.fixtures.api import new_key

# A valid body for each action, so a refusal cannot come from validation instead of authorization.
BODIES: dict[str, dict[str, Any]] = {
    "credits": {"amount": 1000, "reason": "walk"}, "tier": {"tier": "ENTERPRISE"}, "role": {"role": "ADMIN"},
    "suspend": {"reason": "walk"}, "unsuspend": {"reason": "walk"}, "state": {"state": "resolved"},
    "moderate": {"approve": True}, "feature": {"featured": True}, "category": {"category": "ANIME"},
    "rules": {"phrase": "walk", "category": "walk"}, "test": {"prompt": "gore"},
}

# "moon" and "cheese" in full-width letters, which read as the ASCII words.
FULLWIDTH_MOON = "".join(chr(ord(c) + 0xFEE0) for c in "moon")
FULLWIDTH_CHEESE = "".join(chr(ord(c) + 0xFEE0) for c in "cheese")


def arrange_world() -> dict[str, str]:
    with uow() as session:
        creator = create_user(session, email="creator@example.test")
        pending = create_seed(session, creator, title="Pending one", moderation_status=ModerationStatus.PENDING,
                              published_at=None)
        approved = create_seed(session, creator, title="Approved one")
        rule = PromptRule(phrase="tapioca", normalised="tapioca", category="textures")
        session.add(rule)
        session.flush()
        return {"user_id": creator.id, "seed_id": pending.id, "approved": approved.id, "rule_id": rule.id,
                "generation_id": "gen_unknown", "error_id": "err_unknown"}


def state_of_world(ids: dict[str, str]) -> Any:
    with uow() as session:
        seeds = [(s.id, s.moderation_status, s.featured, s.category) for s in session.exec(select(Seed)).all()]
        rules = [(r.id, r.phrase, r.category, r.enabled) for r in session.exec(select(PromptRule)).all()]
        return sorted(seeds), sorted(rules), len(session.exec(select(AuditLog)).all())


def admin_routes() -> list[tuple[str, str]]:
    return [(method, route.path) for route in router.routes if isinstance(route, APIRoute) for method in route.methods]


async def test_every_admin_route_is_a_404_for_a_user_and_changes_nothing(api: httpx.AsyncClient) -> None:
    ids = await asyncio.to_thread(arrange_world)
    _id, cookie = await asyncio.to_thread(signed_in, Role.USER)
    before = await asyncio.to_thread(state_of_world, ids)
    walked = admin_routes()
    assert ("GET", "/admin/moderation/blocked") in walked and ("DELETE", "/admin/moderation/rules/{rule_id}") in walked
    for method, path in walked:
        url = "/api" + re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), m.group(1)), path)
        body = BODIES.get(path.rstrip("/").split("/")[-1]) if method in ("POST", "PATCH") else None
        if method == "PATCH":
            body = {"enabled": False}
        answer = await api.request(method, url, headers=browser(cookie), json=body)
        assert answer.status_code == 404, (method, url, answer.status_code, answer.text)
        assert answer.json()["code"] == "not_found"
    assert await asyncio.to_thread(state_of_world, ids) == before


async def test_a_rule_added_through_the_api_refuses_an_api_generation_and_is_logged(api: httpx.AsyncClient) -> None:
    moderator_id, cookie = await asyncio.to_thread(signed_in, Role.MODERATOR)
    created = await api.post("/api/admin/moderation/rules", headers=browser(cookie),
                             json={"phrase": "Moon Cheese", "category": "dairy lies"})
    assert created.status_code == 201 and created.json()["created_by"] is not None
    rule_id = created.json()["id"]

    tested = await api.post("/api/admin/moderation/test", headers=browser(cookie),
                            json={"prompt": "a plate of " + FULLWIDTH_MOON + "\u200b " + FULLWIDTH_CHEESE})
    assert tested.json()["matched"] and tested.json()["rule_id"] == rule_id

    key, owner_id = await asyncio.to_thread(new_key)
    refused = await api.post("/api/v1/generations", headers={"x-api-key": key},
                             json={"prompt": "moon cheese on a cracker"})
    assert refused.status_code == 422 and refused.json()["code"] == "prompt_blocked"
    assert "dairy lies" in refused.json()["detail"] and "cheese" not in refused.json()["detail"].lower()

    log = (await api.get("/api/admin/moderation/blocked", headers=browser(cookie),
                         params={"user": owner_id})).json()["data"]
    assert [(b["rule_id"], b["phrase"], b["category"], b["source"], b["prompt_excerpt"]) for b in log] == [
        (rule_id, "Moon Cheese", "dairy lies", "api", "moon cheese on a cracker")]

    disabled = await api.patch(f"/api/admin/moderation/rules/{rule_id}", headers=browser(cookie),
                               json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    accepted = await api.post("/api/v1/generations", headers={"x-api-key": key},
                              json={"prompt": "moon cheese on a cracker"})
    assert accepted.status_code in (201, 202)

    assert (await api.delete(f"/api/admin/moderation/rules/{rule_id}", headers=browser(cookie))).status_code == 204
    listed = (await api.get("/api/admin/moderation/rules", headers=browser(cookie), params={"q": "moon"})).json()
    assert listed["data"] == []
    trail = (await api.get("/api/admin/audit", params={"target": rule_id}, headers=browser(cookie)))
    assert trail.status_code == 404  # the audit page is the admins'; the rows are there all the same

    def actions() -> list[tuple[str, str | None]]:
        with uow() as session:
            rows = session.exec(select(AuditLog).where(AuditLog.target_id == rule_id)
                                .order_by(AuditLog.created_at, AuditLog.id)).all()  # type: ignore[arg-type]
            return [(row.action, row.actor_id) for row in rows]

    assert await asyncio.to_thread(actions) == [("moderation.rule_created", moderator_id),
                                                ("moderation.rule_disabled", moderator_id),
                                                ("moderation.rule_deleted", moderator_id)]


async def test_a_duplicate_or_empty_rule_is_refused_with_a_reason(api: httpx.AsyncClient) -> None:
    _id, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    duplicate = await api.post("/api/admin/moderation/rules", headers=browser(cookie),
                               json={"phrase": "GORE", "category": "again"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "rule_exists"
    empty = await api.post("/api/admin/moderation/rules", headers=browser(cookie),
                           json={"phrase": "!!!", "category": "punctuation"})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "phrase"


async def test_the_queue_puts_pending_first_and_featuring_needs_approval(api: httpx.AsyncClient) -> None:
    ids = await asyncio.to_thread(arrange_world)
    _id, cookie = await asyncio.to_thread(signed_in, Role.MODERATOR)
    queue = (await api.get("/api/admin/moderation/seeds", headers=browser(cookie))).json()["data"]
    assert [s["id"] for s in queue] == [ids["seed_id"], ids["approved"]]
    assert queue[0]["creator_email"] == "creator@example.test" and queue[0]["recipe"]["prompt"]

    early = await api.post(f"/api/admin/seeds/{ids['seed_id']}/feature", headers=browser(cookie),
                           json={"featured": True})
    assert early.status_code == 409 and early.json()["code"] == "seed_not_approved"
    approved = await api.post(f"/api/admin/seeds/{ids['seed_id']}/moderate", headers=browser(cookie),
                              json={"approve": True})
    assert approved.status_code == 200
    featured = await api.post(f"/api/admin/seeds/{ids['seed_id']}/feature", headers=browser(cookie),
                              json={"featured": True, "reason": "lovely light"})
    assert featured.status_code == 200 and featured.json()["featured"] is True
    moved = await api.post(f"/api/admin/seeds/{ids['seed_id']}/category", headers=browser(cookie),
                           json={"category": "ABSTRACT"})
    assert moved.json()["category"] == "ABSTRACT"

    key, _owner = await asyncio.to_thread(new_key)
    market = (await api.get("/api/v1/seeds", params={"featured": "true"}, headers={"x-api-key": key})).json()
    assert [(s["id"], s["category"]) for s in market["data"]] == [(ids["seed_id"], "abstract")]

    rejected = await api.post(f"/api/admin/seeds/{ids['seed_id']}/moderate", headers=browser(cookie),
                              json={"approve": False, "reason": "the examples are someone else's work"})
    assert rejected.json()["moderation_reason"] == "the examples are someone else's work"
    market = (await api.get("/api/v1/seeds", params={"featured": "true"}, headers={"x-api-key": key})).json()
    assert market["data"] == []

    def trail() -> list[tuple[str, Any, Any]]:
        with uow() as session:
            rows = session.exec(select(AuditLog).where(AuditLog.target_id == ids["seed_id"])
                                .order_by(AuditLog.created_at, AuditLog.id)).all()  # type: ignore[arg-type]
            return [(r.action, r.details["before"], r.details["after"]) for r in rows]

    actions = await asyncio.to_thread(trail)
    assert [a for a, _, _ in actions] == ["seed.approved", "seed.featured", "seed.recategorised", "seed.rejected"]
    assert actions[2][1]["category"] == "LANDSCAPE" and actions[2][2]["category"] == "ABSTRACT"
    assert actions[3][1]["featured"] is True and actions[3][2] == {"status": "REJECTED", "featured": False,
                                                                   "category": "ABSTRACT"}
