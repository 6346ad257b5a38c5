"""Blocked prompts: every refusal is logged after the refused submit rolls back, each is a strike,
and the strike that reaches MODERATION_STRIKE_LIMIT within the window suspends the user (not staff)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from dreampixel.core.db import uow
from dreampixel.core.errors import Forbidden
from dreampixel.core.models import (
    AuditLog,
    BlockedPrompt,
    CreditLedger,
    GenerationSource,
    Role,
    User,
    UserStatus,
    utcnow,
)
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.admin import service as admin
from services.generation import service as generations
from services.generation.schemas import to_create
from services.moderation import blocks
from services.moderation.service import PromptBlocked
from tests.factories import create_user


@pytest.fixture(autouse=True)
def three_strikes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "moderation_strike_limit", 3)
    monkeypatch.setattr(settings, "moderation_strike_window_days", 30)


def block(user_id: str, prompt: str = "gore everywhere") -> blocks.PendingBlock:
    return blocks.PendingBlock(user_id=user_id, prompt=prompt, rule_id="rul_builtin06", phrase="gore",
                               category="graphic violence", source="web")


def suspension_rows(session: Session, user_id: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(col(AuditLog.target_id) == user_id,
                                                    col(AuditLog.action) == "user.suspended")).all())


# ---- through the submit path, with real commits and rollbacks -------------------------------------------


def submit(user_id: str, prompt: str, source: GenerationSource = GenerationSource.WEB) -> None:
    with uow() as session:
        user = session.get(User, user_id)
        assert user is not None
        generations.submit(session, user=user, request=to_create({"prompt": prompt, "width": 512, "height": 512},
                                                                       reference_image_id=None),
                           source=source)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_refused_submit_is_logged_though_its_transaction_rolled_back(live_db: Engine) -> None:
    with uow() as session:
        user_id = create_user(session, credit_balance=5).id
    with pytest.raises(PromptBlocked):
        submit(user_id, "a festival of GORE and confetti", GenerationSource.API)
    with uow() as session:
        logged = session.exec(select(BlockedPrompt).where(col(BlockedPrompt.user_id) == user_id)).all()
        assert [(b.phrase, b.category, b.source) for b in logged] == [("gore", "graphic violence", "api")]
        assert logged[0].prompt_excerpt == "a festival of GORE and confetti"
        # The refusal itself held nothing.
        assert session.exec(select(CreditLedger).where(col(CreditLedger.user_id) == user_id)).all() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_third_refused_submit_suspends_and_signs_the_user_out(live_db: Engine) -> None:
    with uow() as session:
        user_id = create_user(session, credit_balance=5).id
        token = sessions.create(session, user_id=user_id, ip=None, user_agent=None)
    for attempt in range(2):
        with pytest.raises(PromptBlocked):
            submit(user_id, f"beheading number {attempt}")
    with uow() as session:
        user = session.get(User, user_id)
        assert user is not None and user.status is UserStatus.ACTIVE
        assert sessions.resolve(session, token) is not None
    with pytest.raises(PromptBlocked):
        submit(user_id, "a swastika flag")
    with uow() as session:
        user = session.get(User, user_id)
        assert user is not None and user.status is UserStatus.SUSPENDED
        assert sessions.resolve(session, token) is None
        [row] = suspension_rows(session, user_id)
        assert row.actor_id is None and row.details["actor"] == "system" and row.details["strikes"] == 3
        assert row.details["before"] == "ACTIVE" and row.details["after"] == "SUSPENDED"
        assert "3 blocked prompts within 30 days" in row.details["reason"]


# ---- strikes, counted by blocks.record -----------------------------------------------------------------


def test_strikes_below_the_limit_do_not_suspend(session: Session) -> None:
    user = create_user(session)
    for _ in range(2):
        blocks.record(session, block(user.id))
    session.refresh(user)
    assert user.status is UserStatus.ACTIVE and suspension_rows(session, user.id) == []
    assert blocks.strikes(session, user_id=user.id) == 2


def test_the_strike_at_the_limit_suspends_and_is_marked(session: Session) -> None:
    user = create_user(session)
    rows = [blocks.record(session, block(user.id)) for _ in range(3)]
    session.refresh(user)
    assert user.status is UserStatus.SUSPENDED
    assert [row.suspended for row in rows] == [False, False, True]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MODERATOR])
def test_staff_are_never_suspended_by_strikes(session: Session, role: Role) -> None:
    user = create_user(session, role=role)
    for _ in range(5):
        blocks.record(session, block(user.id))
    session.refresh(user)
    assert user.status is UserStatus.ACTIVE and suspension_rows(session, user.id) == []
    assert len(blocks.search(session, actor=user, user=user.id)) == 5


def test_refusals_older_than_the_window_are_not_strikes(session: Session) -> None:
    user = create_user(session)
    for days in (40, 35):
        session.add(BlockedPrompt(user_id=user.id, prompt_excerpt="old", phrase="gore", category="graphic violence",
                                  created_at=utcnow() - timedelta(days=days)))
    session.flush()
    blocks.record(session, block(user.id))
    blocks.record(session, block(user.id))
    session.refresh(user)
    assert user.status is UserStatus.ACTIVE and blocks.strikes(session, user_id=user.id) == 2


def test_after_an_unsuspension_the_count_starts_again(session: Session) -> None:
    user = create_user(session)
    admin_user = create_user(session, role=Role.ADMIN)
    for _ in range(3):
        blocks.record(session, block(user.id))
    admin.unsuspend(session, actor=admin_user, user_id=user.id, reason="appeal accepted")
    blocks.record(session, block(user.id))
    session.refresh(user)
    assert user.status is UserStatus.ACTIVE and blocks.strikes(session, user_id=user.id) == 1


def test_a_limit_of_zero_never_suspends(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "moderation_strike_limit", 0)
    user = create_user(session)
    for _ in range(4):
        blocks.record(session, block(user.id))
    session.refresh(user)
    assert user.status is UserStatus.ACTIVE


def test_the_log_filters_by_user_category_and_source(session: Session) -> None:
    first, second = create_user(session, email="first@example.test"), create_user(session)
    moderator = create_user(session, role=Role.MODERATOR)
    blocks.record(session, block(first.id))
    blocks.record(session, blocks.PendingBlock(user_id=second.id, prompt="a swastika", rule_id=None,
                                               phrase="swastika", category="hate symbols", source="api"))
    assert [row.user_id for row, _ in blocks.search(session, actor=moderator, user="FIRST@example.test")] == [first.id]
    assert [row.phrase for row, _ in blocks.search(session, actor=moderator, category="hate symbols")] == ["swastika"]
    assert [row.user_id for row, _ in blocks.search(session, actor=moderator, source="api")] == [second.id]
    with pytest.raises(Forbidden):
        blocks.search(session, actor=first)
