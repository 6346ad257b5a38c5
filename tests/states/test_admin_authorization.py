"""Every admin console handler, called directly as a crafted client would, by a USER and a MODERATOR:
nothing changes, nothing is shown, and the page answers as an unknown route does."""

from __future__ import annotations

from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlalchemy import Engine
from sqlmodel import select

from dreampixel.core.db import uow
from dreampixel.core.models import (
    AuditLog,
    BlockedPrompt,
    ErrorLog,
    Generation,
    GenerationStatus,
    ModerationStatus,
    PromptRule,
    Role,
    Seed,
    SeedCategory,
    User,
)
from services.accounts import sessions
from states.admin_audit import AdminAuditState
from states.admin_dashboard import AdminDashboardState
from states.admin_generations import AdminGenerationsState, AdminGenerationState
from states.admin_moderation import AdminModerationState
from states.admin_system import AdminSystemState
from states.admin_users import AdminUsersState, AdminUserState
from tests.factories import create_generation, create_seed, create_user


def state_for(cls: type[rx.State], cookie_token: str, params: dict[str, str]) -> Any:
    """A state as the server builds it for a browser sending this session cookie on an admin URL."""
    root = rx.State(_reflex_internal_init=True)
    router_data: dict[str, Any] = {
        "headers": {"cookie": f"{sessions.SESSION_COOKIE}={cookie_token}"},
        "pathname": "/admin", "asPath": "/admin", "query": params, "token": "client", "sid": "sid", "ip": "127.0.0.1",
    }
    root.router_data = router_data
    root.router = RouterData.from_router_data(router_data)
    return root.get_substate(cls.get_full_name().split("."))


async def call(handler: Any, state: Any, *args: Any) -> Any:
    result = handler.fn(state, *args)
    if hasattr(result, "__anext__"):
        return [item async for item in result]
    return await result


@pytest.fixture
def world(live_db: Engine) -> dict[str, str]:
    with uow() as session:
        target = create_user(session, email="target@example.test")
        owner = create_user(session, credit_balance=5)
        queued = create_generation(session, owner, credits_held=2)
        failed = create_generation(session, owner, status=GenerationStatus.FAILED)
        seed = create_seed(session, target, moderation_status=ModerationStatus.PENDING, published_at=None)
        approved = create_seed(session, target)
        error = ErrorLog(source="services", message="boom", fingerprint="f" * 40, logger="services.x")
        rule = PromptRule(phrase="tapioca", normalised="tapioca", category="textures")
        session.add_all([error, rule])
        session.add(BlockedPrompt(user_id=target.id, prompt_excerpt="gore", phrase="gore", category="graphic violence"))
        ids = {"target": target.id, "owner": owner.id, "queued": queued.id, "failed": failed.id, "seed": seed.id,
               "approved": approved.id, "error": error.id, "rule": rule.id}
        for role in (Role.USER, Role.MODERATOR):
            caller = create_user(session, role=role)
            ids[role.value] = sessions.create(session, user_id=caller.id, ip=None, user_agent=None)
        ids["target_token"] = sessions.create(session, user_id=target.id, ip=None, user_agent=None)
        return ids


def snapshot(ids: dict[str, str]) -> dict[str, Any]:
    with uow() as session:
        target = session.get(User, ids["target"])
        owner = session.get(User, ids["owner"])
        seed = session.get(Seed, ids["seed"])
        approved = session.get(Seed, ids["approved"])
        error = session.get(ErrorLog, ids["error"])
        assert target and owner and seed and approved and error
        return {
            "target": (target.credit_balance, target.tier, target.role, target.status),
            "target_signed_in": sessions.resolve(session, ids["target_token"]) is not None,
            "owner_credits": owner.credit_balance,
            "generations": sorted((g.id, g.status) for g in session.exec(select(Generation)).all()),
            "seed": seed.moderation_status,
            "approved": (approved.moderation_status, approved.featured, approved.category),
            "rules": sorted((r.id, r.phrase, r.category, r.enabled) for r in session.exec(select(PromptRule)).all()),
            "error": error.state,
            "audit": len(session.exec(select(AuditLog)).all()),
        }


def calls(ids: dict[str, str]) -> list[tuple[type[rx.State], str, tuple[Any, ...], dict[str, str]]]:
    """(state, handler, arguments, URL params) for every handler of the admin console."""
    user = {"user_id": ids["target"]}
    generation = {"generation_id": ids["queued"]}
    failed = {"generation_id": ids["failed"]}
    return [
        (AdminDashboardState, "load", (), {}),
        (AdminUsersState, "load", (), {}),
        (AdminUsersState, "search", ({"q": "target"},), {}),
        (AdminUsersState, "set_filter", ("role", "USER"), {}),
        (AdminUserState, "load", (), user),
        *[(AdminUserState, "act", ({"action": action, "value": value, "reason": "crafted"},), user)
          for action, value in (("credits", "1000"), ("tier", "ENTERPRISE"), ("role", "ADMIN"), ("suspend", ""),
                                ("end_sessions", ""), ("resend", ""), ("delete", ""))],
        (AdminGenerationsState, "load", (), {}),
        (AdminGenerationsState, "search", ({"q": "lighthouse"},), {}),
        (AdminGenerationsState, "set_status", ("queued",), {}),
        (AdminGenerationsState, "show_stuck", (True,), {}),
        (AdminGenerationsState, "reap", (), {}),
        (AdminGenerationState, "load", (), generation),
        (AdminGenerationState, "act", ("cancel",), generation),
        (AdminGenerationState, "act", ("delete",), generation),
        (AdminGenerationState, "act", ("retry",), failed),
        (AdminSystemState, "load", (), {}),
        (AdminSystemState, "refresh_health", (), {}),
        (AdminSystemState, "filter_errors", ({"logger": "services"},), {}),
        (AdminSystemState, "set_filter", ("level", "error"), {}),
        (AdminSystemState, "set_error_state", (ids["error"], "resolved"), {}),
        (AdminSystemState, "toggle", (ids["error"],), {}),
        (AdminSystemState, "log_test_error", (), {}),
        (AdminAuditState, "load", (), {}),
        (AdminAuditState, "search", ({"actor": ""},), {}),
    ]


LISTS = ("rows", "cards", "generations", "ledger", "sessions", "api_keys", "history", "checks", "errors", "workers",
         "providers", "seeds", "rules", "categories", "blocked", "editing", "verdict")


def moderation_calls(ids: dict[str, str]) -> list[tuple[str, tuple[Any, ...]]]:
    """(handler, arguments) for every handler of the moderation page, each one doing something if allowed."""
    seed, approved, rule = ids["seed"], ids["approved"], ids["rule"]
    return [
        ("load", ()),
        ("set_seed_filter", ("status", "any")),
        ("choose", ("approve",)),
        ("decide", ({"seed_id": seed, "decision": "approve"},)),
        ("decide", ({"seed_id": seed, "decision": "reject", "reason": "crafted"},)),
        ("decide", ({"seed_id": approved, "decision": "feature"},)),
        ("decide", ({"seed_id": approved, "decision": "recategorise", "category": "anime"},)),
        ("add_rule", ({"phrase": "crafted", "category": "crafted"},)),
        ("search_rules", ({"q": "tapioca"},)),
        ("edit_rule", (rule,)),
        ("cancel_edit", ()),
        ("save_rule", ({"rule_id": rule, "phrase": "changed", "category": "changed"},)),
        ("set_rule_enabled", (rule, False)),
        ("delete_rule", (rule,)),
        ("check_prompt", ({"prompt": "gore"},)),
        ("filter_blocked", ({"user": ""},)),
        ("set_blocked_filter", ("source", "web")),
    ]


@pytest.mark.parametrize("role", [Role.USER, Role.MODERATOR])
async def test_every_admin_handler_refuses_a_non_admin_and_changes_nothing(world: dict[str, str], role: Role) -> None:
    before = snapshot(world)
    for cls, name, args, params in calls(world):
        state = state_for(cls, world[role.value], params)
        await call(getattr(cls, name), state, *args)
        assert state.checked and not state.allowed, f"{cls.__name__}.{name}"
        shown = [getattr(state, field) for field in LISTS if hasattr(state, field)]
        assert all(not value for value in shown), f"{cls.__name__}.{name} showed data"
        assert not getattr(state, "user", {}), f"{cls.__name__}.{name} showed the account"
    assert snapshot(world) == before


async def test_every_moderation_handler_refuses_a_user_and_changes_nothing(world: dict[str, str]) -> None:
    before = snapshot(world)
    handlers = moderation_calls(world)
    # Every handler the page's state has is walked (Reflex's own `setvar` writes only the caller's view).
    assert {name for name, _ in handlers} == set(AdminModerationState.event_handlers) - {"setvar"}
    for name, args in handlers:
        state = state_for(AdminModerationState, world[Role.USER.value], {})
        await call(getattr(AdminModerationState, name), state, *args)
        assert state.checked and not state.allowed, name
        shown = [getattr(state, field) for field in LISTS if hasattr(state, field)]
        assert all(not value for value in shown), f"{name} showed data"
    assert snapshot(world) == before


async def test_a_moderator_manages_rules_features_and_recategorises(world: dict[str, str]) -> None:
    state = state_for(AdminModerationState, world[Role.MODERATOR.value], {})
    await call(AdminModerationState.load, state)
    assert state.allowed and any(rule["id"] == world["rule"] for rule in state.rules)
    assert [row["rule"] for row in state.blocked] == ["gore"]
    # As the page sends it: the pressed button names the decision, then its form is submitted.
    await call(AdminModerationState.choose, state, "feature")
    await call(AdminModerationState.decide, state, {"seed_id": world["approved"], "reason": "", "category": "other"})
    await call(AdminModerationState.decide, state, {"seed_id": world["approved"], "decision": "recategorise",
                                                    "category": "anime"})
    await call(AdminModerationState.add_rule, state, {"phrase": "Moon Cheese", "category": "dairy lies"})
    await call(AdminModerationState.check_prompt, state, {"prompt": "a moon  cheese platter"})
    assert state.problem == "" and "dairy lies" in state.verdict["verdict"] and state.verdict["matched"]
    await call(AdminModerationState.set_rule_enabled, state, world["rule"], False)
    after = snapshot(world)
    assert after["approved"] == (ModerationStatus.APPROVED, True, SeedCategory.ANIME)
    assert (world["rule"], "tapioca", "textures", False) in after["rules"]
    assert any(phrase == "Moon Cheese" for _, phrase, _, _ in after["rules"])


async def test_a_moderator_sees_and_decides_the_seed_queue(world: dict[str, str]) -> None:
    state = state_for(AdminModerationState, world[Role.MODERATOR.value], {})
    await call(AdminModerationState.load, state)
    assert state.allowed and [seed["id"] for seed in state.seeds] == [world["seed"]]
    await call(AdminModerationState.decide, state, {"seed_id": world["seed"], "decision": "reject",
                                                    "reason": "blurry examples"})
    assert snapshot(world)["seed"] is ModerationStatus.REJECTED and state.seeds == []


async def test_an_admin_opens_the_user_page_and_grants_credits(world: dict[str, str]) -> None:
    with uow() as session:
        admin = create_user(session, role=Role.ADMIN)
        token = sessions.create(session, user_id=admin.id, ip=None, user_agent=None)
    state = state_for(AdminUserState, token, {"user_id": world["target"]})
    await call(AdminUserState.load, state)
    assert state.allowed and state.user["email"] == "target@example.test"
    await call(AdminUserState.act, state, {"action": "credits", "value": "30", "reason": "welcome back"})
    assert state.user["credits"] == "30" and state.history[0]["action"] == "user.credits_granted"


async def test_a_moderator_edits_a_rule_in_place_and_deletes_it(world: dict[str, str]) -> None:
    state = state_for(AdminModerationState, world[Role.MODERATOR.value], {})
    await call(AdminModerationState.load, state)
    await call(AdminModerationState.edit_rule, state, world["rule"])
    assert state.editing["phrase"] == "tapioca"
    await call(AdminModerationState.save_rule, state, {"rule_id": world["rule"], "phrase": "sago",
                                                       "category": "puddings"})
    assert state.problem == "" and state.editing == {}
    assert (world["rule"], "sago", "puddings", True) in snapshot(world)["rules"]
    await call(AdminModerationState.save_rule, state, {"rule_id": world["rule"], "phrase": "gore",
                                                       "category": "again"})
    assert "already reads the same" in state.problem
    await call(AdminModerationState.delete_rule, state, world["rule"])
    assert state.notice == "Rule deleted." and all(r["id"] != world["rule"] for r in state.rules)
