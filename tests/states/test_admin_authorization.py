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
    ErrorLog,
    Generation,
    GenerationStatus,
    ModerationStatus,
    Role,
    Seed,
    User,
)
from services.accounts import sessions
from states.admin_analytics import AdminAnalyticsState
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
        error = ErrorLog(source="services", message="boom", fingerprint="f" * 40, logger="services.x")
        session.add(error)
        ids = {"target": target.id, "owner": owner.id, "queued": queued.id, "failed": failed.id, "seed": seed.id,
               "error": error.id}
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
        error = session.get(ErrorLog, ids["error"])
        assert target and owner and seed and error
        return {
            "target": (target.credit_balance, target.tier, target.role, target.status),
            "target_signed_in": sessions.resolve(session, ids["target_token"]) is not None,
            "owner_credits": owner.credit_balance,
            "generations": sorted((g.id, g.status) for g in session.exec(select(Generation)).all()),
            "seed": seed.moderation_status,
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
        (AdminAnalyticsState, "load", (), {}),
        (AdminAnalyticsState, "set_period", ("26",), {}),
    ]


LISTS = ("rows", "cards", "generations", "ledger", "sessions", "api_keys", "history", "checks", "errors", "workers",
         "providers", "seeds", "cohort_headings", "cohort_rows", "funnel_rows", "provider_rows")


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


async def test_the_moderation_queue_refuses_a_user(world: dict[str, str]) -> None:
    state = state_for(AdminModerationState, world[Role.USER.value], {})
    await call(AdminModerationState.load, state)
    await call(AdminModerationState.decide, state, {"seed_id": world["seed"], "decision": "approve"})
    assert not state.allowed and state.seeds == []
    assert snapshot(world)["seed"] is ModerationStatus.PENDING


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
