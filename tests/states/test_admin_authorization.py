"""Every admin console handler, found by walking the console's states and called directly as a crafted
websocket event would call it, by a USER, a MODERATOR and a signed-out client: nothing changes in the
database, nothing is shown or pushed, live watchers subscribe to nothing, and the page answers as an
unknown route does."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
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
from services.events import service as events
from states.admin_access import AdminAccessMixin
from states.admin_analytics import AdminAnalyticsState
from states.admin_moderation import AdminModerationState
from states.admin_users import AdminUserState
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
            "errors": sorted((e.id, e.state, e.count) for e in session.exec(select(ErrorLog)).all()),
        }


def admin_states() -> list[type[rx.State]]:
    """Every state of the console, found by importing each states/admin_*.py module: a new one is walked too."""
    import states

    found: list[type[rx.State]] = []
    for module in pkgutil.iter_modules(states.__path__):
        if module.name.startswith("admin_") and module.name != "admin_access":
            loaded = importlib.import_module(f"states.{module.name}")
            found += [value for value in vars(loaded).values() if isinstance(value, type)
                      and issubclass(value, AdminAccessMixin) and issubclass(value, rx.State)
                      and value.__module__ == loaded.__name__]
    return found


# Handlers every state has from Reflex itself: `setvar` sets one of the caller's own display vars
# (never data: every handler reads the role again before it reads or changes anything).
BUILTIN = {"setvar"}


def crafted_form(ids: dict[str, str]) -> dict[str, Any]:
    """What a crafted client sends to a handler taking a form: every field, aimed at real rows."""
    return {"action": "delete", "value": "1000", "reason": "crafted", "q": "target", "seed_id": ids["seed"],
            "decision": "approve", "approve": "true", "logger": "services", "actor": "", "target": "", "since": "",
            "until": "", "provider": "", "user": "", "category": "OTHER", "featured": "true", "rule_id": "",
            "phrase": "crafted", "word": "crafted", "prompt": "crafted", "id": ids["target"]}


def crafted_args(handler: Any, ids: dict[str, str]) -> tuple[Any, ...]:
    """Arguments a crafted event would carry, from the handler's signature (its `viewer` is not sent)."""
    args: list[Any] = []
    for parameter in list(inspect.signature(handler.fn).parameters.values())[1:]:
        hint = str(parameter.annotation)
        if "dict" in hint:
            args.append(crafted_form(ids))
        elif "bool" in hint:
            args.append(True)
        elif "int" in hint:
            args.append(1000)
        elif "id" in parameter.name:
            args.append(ids["error"] if "error" in parameter.name else ids["seed"])
        else:
            args.append("resolved" if parameter.name == "state" else "crafted")
    return tuple(args)


def route_params(ids: dict[str, str]) -> list[dict[str, str]]:
    """The URL parameters a detail page may be opened with, aimed at rows a crafted event would hit."""
    return [{}, {"user_id": ids["target"], "generation_id": ids["queued"]}, {"generation_id": ids["failed"]}]


# Variants worth calling beyond what the signature gives: each action of the multi-action handlers.
VARIANTS: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("AdminUserState", "act"): [({"action": action, "value": value, "reason": "crafted"},)
                                for action, value in (("credits", "1000"), ("credits", "-5"), ("tier", "ENTERPRISE"),
                                                      ("role", "ADMIN"), ("suspend", ""), ("unsuspend", ""),
                                                      ("end_sessions", ""), ("resend", ""), ("delete", ""))],
    ("AdminGenerationState", "act"): [("cancel",), ("delete",), ("retry",)],
    ("AdminUsersState", "set_filter"): [("role", "USER")],
    ("AdminSystemState", "set_filter"): [("level", "error")],
}


def calls(ids: dict[str, str]) -> list[tuple[type[rx.State], str, tuple[Any, ...], dict[str, str]]]:
    """(state, handler, arguments, URL parameters) for every handler of every console state."""
    walked = []
    for cls in admin_states():
        for name, handler in cls.event_handlers.items():
            if name in BUILTIN:
                continue
            variants = [*VARIANTS.get((cls.__name__, name), []), crafted_args(handler, ids)]
            if (cls.__name__, name) == ("AdminSystemState", "set_error_state"):
                variants = [(ids["error"], "resolved"), (ids["error"], "ignored")]
            walked += [(cls, name, args, params) for args in variants for params in route_params(ids)]
    return walked


def allows(cls: type[rx.State], name: str, role: Role) -> bool:
    """Whether the handler's guard lets `role` in (the moderation queue lets moderators in)."""
    return role in getattr(getattr(cls, name).fn, "admin_roles", frozenset())


LISTS = ("rows", "cards", "generations", "ledger", "sessions", "api_keys", "history", "checks", "errors", "workers",
         "providers", "seeds", "generations_per_day", "signups_per_day", "provider_share", "provider_failure",
         "inputs", "timings", "attempts", "outputs", "cohort_headings", "cohort_rows", "funnel_rows", "provider_rows",
         "rules", "categories", "blocked", "editing", "verdict")


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


def shows_nothing(state: Any) -> bool:
    lists = [getattr(state, field) for field in LISTS if hasattr(state, field)]
    return not any(lists) and not getattr(state, "user", {}) and not getattr(state, "row", {})


def test_the_walk_finds_every_console_state_and_their_live_watchers() -> None:
    names = {cls.__name__ for cls in admin_states()}
    assert {"AdminDashboardState", "AdminUsersState", "AdminUserState", "AdminGenerationsState",
            "AdminGenerationState", "AdminSystemState", "AdminAuditState", "AdminModerationState"} <= names
    background = {(cls.__name__, name) for cls in admin_states() for name, handler in cls.event_handlers.items()
                  if handler.is_background}
    assert {("AdminDashboardState", "watch"), ("AdminSystemState", "watch")} <= background


@pytest.mark.parametrize("role", [Role.USER, Role.MODERATOR, None], ids=["user", "moderator", "signed-out"])
async def test_every_admin_handler_refuses_anyone_else_and_changes_nothing(world: dict[str, str],
                                                                          role: Role | None) -> None:
    before = snapshot(world)
    walked = 0
    for cls, name, args, params in calls(world):
        if role is not None and allows(cls, name, role):
            continue
        state = state_for(cls, world[role.value] if role else "", params)
        handler = getattr(cls, name)
        # A live watcher would run for as long as the page is open: refused, it returns at once.
        result = await asyncio.wait_for(call(handler, state, *args), timeout=10)
        label = f"{cls.__name__}.{name}{args}"
        updates = [u for u in (result if isinstance(result, list) else [result]) if u is not None]
        assert all("redirect" in str(u) or "login" in str(u) for u in updates), f"{label} pushed {updates}"
        assert not state.allowed and shows_nothing(state), f"{label} showed data"
        if not handler.is_background and name != "stop_watching":
            assert state.checked, label
        walked += 1
    assert walked > 40
    assert snapshot(world) == before


async def test_a_refused_watcher_subscribes_to_nothing(world: dict[str, str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    subscribed: list[str] = []

    def spy(channel: str) -> Any:
        subscribed.append(channel)
        raise AssertionError("a refused watcher subscribed")

    monkeypatch.setattr(events, "subscribe", spy)
    watchers = 0
    for cls in admin_states():
        for _name, handler in cls.event_handlers.items():
            if not handler.is_background:
                continue
            for token in (world[Role.USER.value], world[Role.MODERATOR.value], ""):
                state = state_for(cls, token, {})
                state.allowed = True  # what a crafted `setvar` could claim
                await asyncio.wait_for(call(handler, state), timeout=10)
                watchers += 1
    assert watchers >= 6 and subscribed == []


async def test_the_moderation_queue_refuses_a_user(world: dict[str, str]) -> None:
    state = state_for(AdminModerationState, world[Role.USER.value], {})
    await call(AdminModerationState.load, state)
    await call(AdminModerationState.decide, state, {"seed_id": world["seed"], "decision": "approve"})
    assert not state.allowed and state.seeds == []
    assert snapshot(world)["seed"] is ModerationStatus.PENDING


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


async def test_an_admins_open_error_log_shows_a_new_error_when_the_channel_says_so(world: dict[str, str]) -> None:
    from states.admin_system import AdminSystemState

    with uow() as session:
        admin = create_user(session, role=Role.ADMIN)
        token = sessions.create(session, user_id=admin.id, ip=None, user_agent=None)
    state = state_for(AdminSystemState, token, {})
    await call(AdminSystemState.load, state)
    assert [e["message"] for e in state.errors] == ["boom"]
    watcher = asyncio.create_task(call(AdminSystemState.watch, state))
    with uow() as session:
        session.add(ErrorLog(source="services", message="disk full", fingerprint="9" * 40, logger="services.y"))
    try:
        async with asyncio.timeout(10):
            while len(state.errors) < 2:  # published until the watcher, subscribing meanwhile, hears one
                events.publish(events.ADMIN_CHANNEL, {"type": "error.logged"})
                await asyncio.sleep(0.1)
    finally:
        state._watching = False
        await asyncio.wait_for(watcher, timeout=5)
    assert {e["message"] for e in state.errors} == {"boom", "disk full"}


async def test_an_admin_reads_the_analytics_and_changes_the_period(world: dict[str, str]) -> None:
    with uow() as session:
        admin = create_user(session, role=Role.ADMIN)
        token = sessions.create(session, user_id=admin.id, ip=None, user_agent=None)
    state = state_for(AdminAnalyticsState, token, {})
    await call(AdminAnalyticsState.load, state)
    assert state.allowed and len(state.cohort_rows) == 8 and len(state.funnel_rows) == 8
    assert state.cohort_headings[:2] == ["Week 0", "Week 1"]
    # This week's cohort: the walk's accounts, signed up just now.
    assert state.cohort_rows[-1]["users"] == state.funnel_rows[-1]["signed_up"] != "0"
    await call(AdminAnalyticsState.set_period, state, "26")
    assert state.weeks == "26" and len(state.cohort_rows) == 26
    await call(AdminAnalyticsState.set_period, state, "1000")
    assert state.weeks == "26"


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
