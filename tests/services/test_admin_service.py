"""Admin actions: each one is refused to anyone but an admin (404), does what it says, and leaves an audit row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from dreampixel.core.db import uow
from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import (
    AuditLog,
    CreditLedger,
    Generation,
    GenerationStatus,
    LedgerReason,
    Role,
    Tier,
    User,
    UserStatus,
    utcnow,
)
from dreampixel.core.settings import settings
from services.accounts import sessions
from services.admin import audit, repository, service
from services.events import service as events
from tests.factories import create_generation, create_user


def audit_rows(session: Session, target_id: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.target_id == target_id)
                             .order_by(col(AuditLog.created_at))).all())


@pytest.fixture
def admin_user(session: Session) -> User:
    return create_user(session, role=Role.ADMIN, email="boss@example.test")


@pytest.mark.parametrize("role", [Role.USER, Role.MODERATOR])
def test_anyone_but_an_admin_is_told_the_console_does_not_exist(session: Session, role: Role) -> None:
    actor, target = create_user(session, role=role), create_user(session)
    with pytest.raises(service.NoSuchPage) as refused:
        service.adjust_credits(session, actor=actor, user_id=target.id, amount=100, reason="gift")
    assert refused.value.status_code == 404
    session.refresh(target)
    assert target.credit_balance == 0 and audit_rows(session, target.id) == []


def test_a_suspended_admin_is_refused(session: Session) -> None:
    actor, target = create_user(session, role=Role.ADMIN, status=UserStatus.SUSPENDED), create_user(session)
    with pytest.raises(service.NoSuchPage):
        service.set_tier(session, actor=actor, user_id=target.id, tier=Tier.PRO)


def test_granting_credits_writes_a_ledger_row_and_an_audit_row_with_before_and_after(
    session: Session, admin_user: User
) -> None:
    target = create_user(session)
    service.adjust_credits(session, actor=admin_user, user_id=target.id, amount=40, reason="make-good for an outage")
    session.refresh(target)
    assert target.credit_balance == 40
    ledger = session.exec(select(CreditLedger).where(CreditLedger.user_id == target.id)).one()
    assert (ledger.delta, ledger.reason, ledger.reference, ledger.balance_after) == (
        40, LedgerReason.GRANT, "make-good for an outage", 40)
    [row] = audit_rows(session, target.id)
    assert row.actor_id == admin_user.id and row.action == "user.credits_granted"
    assert row.details["reason"] == "make-good for an outage"
    assert (row.details["before"], row.details["after"]) == (0, 40)


def test_removing_more_credits_than_the_balance_is_refused_and_changes_nothing(
    session: Session, admin_user: User
) -> None:
    target = create_user(session, credit_balance=12)
    with pytest.raises(ValidationFailed) as refused:
        service.adjust_credits(session, actor=admin_user, user_id=target.id, amount=-50, reason="clawback")
    assert refused.value.code == "balance_too_low"
    assert refused.value.message.startswith("Cannot remove 50 credits: the balance is 12.")
    session.refresh(target)
    assert target.credit_balance == 12 and audit_rows(session, target.id) == []


def test_removing_credits_the_balance_covers_is_audited_as_a_removal(session: Session, admin_user: User) -> None:
    target = create_user(session, credit_balance=12)
    service.adjust_credits(session, actor=admin_user, user_id=target.id, amount=-12, reason="duplicate grant")
    session.refresh(target)
    [row] = audit_rows(session, target.id)
    assert target.credit_balance == 0
    assert (row.action, row.details["before"], row.details["after"]) == ("user.credits_removed", 12, 0)


def test_a_credit_change_needs_a_reason(session: Session, admin_user: User) -> None:
    target = create_user(session)
    with pytest.raises(ValidationFailed):
        service.adjust_credits(session, actor=admin_user, user_id=target.id, amount=5, reason="  ")


def test_changing_the_tier_grants_its_allowance_as_billing_does_and_is_audited(
    session: Session, admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "credits_enterprise_monthly", 5000)
    target = create_user(session, credit_balance=7)
    service.set_tier(session, actor=admin_user, user_id=target.id, tier=Tier.ENTERPRISE, reason="contract")
    session.refresh(target)
    assert (target.tier, target.credit_balance) == (Tier.ENTERPRISE, 5000)
    [row] = audit_rows(session, target.id)
    assert (row.action, row.actor_id, row.details["reason"]) == ("user.tier_changed", admin_user.id, "contract")
    assert (row.details["before"], row.details["after"], row.details["granted"]) == ("FREE", "ENTERPRISE", 4993)


def test_ending_sessions_signs_the_user_out_everywhere(session: Session, admin_user: User) -> None:
    target = create_user(session)
    token = sessions.create(session, user_id=target.id, ip=None, user_agent=None)
    assert service.end_sessions(session, actor=admin_user, user_id=target.id) == 1
    assert sessions.resolve(session, token) is None
    assert audit_rows(session, target.id)[0].action == "user.sessions_ended"


def test_deleting_an_account_removes_it_and_keeps_the_audit_row(session: Session, admin_user: User) -> None:
    target = create_user(session)
    target_id = target.id
    service.delete_user(session, actor=admin_user, user_id=target_id, reason="asked by email")
    assert session.get(User, target_id) is None
    [row] = audit_rows(session, target_id)
    assert row.action == "user.deleted" and row.details["before"]["email"] == target.email


def test_a_suspended_account_can_be_deleted_too(session: Session, admin_user: User) -> None:
    target = create_user(session, status=UserStatus.SUSPENDED)
    target_id = target.id
    service.delete_user(session, actor=admin_user, user_id=target_id, reason="fraud")
    assert session.get(User, target_id) is None


def test_canceling_a_generation_returns_the_owners_credits(session: Session, admin_user: User) -> None:
    owner = create_user(session, credit_balance=0)
    generation = create_generation(session, owner, credits_held=3)
    canceled = service.cancel_generation(session, actor=admin_user, generation_id=generation.id)
    session.refresh(owner)
    assert canceled.status is GenerationStatus.CANCELED and owner.credit_balance == 3
    assert audit_rows(session, generation.id)[0].details["before"] == "queued"


def test_the_stuck_view_lists_old_queued_and_overdue_processing_generations(
    session: Session, admin_user: User
) -> None:
    owner = create_user(session)
    long_ago = utcnow() - timedelta(hours=2)
    waiting = create_generation(session, owner, queued_at=long_ago)
    overdue = create_generation(session, owner, status=GenerationStatus.PROCESSING, started_at=long_ago,
                                deadline_at=utcnow() - timedelta(minutes=1))
    fresh = create_generation(session, owner)
    shown = {g.id for g in service.stuck(session, actor=admin_user)}
    assert {waiting.id, overdue.id} <= shown and fresh.id not in shown


def test_users_are_found_by_part_of_the_email_and_filtered_by_role(session: Session, admin_user: User) -> None:
    create_user(session, email="ada@lovelace.test", role=Role.MODERATOR)
    create_user(session, email="ada@other.test")
    found = repository.search_users(session, q="ADA@", role="MODERATOR")
    assert [u.email for u in found] == ["ada@lovelace.test"]


def test_generations_are_found_by_owner_email_and_prompt_words(session: Session, admin_user: User) -> None:
    owner = create_user(session, email="painter@example.test")
    wanted = create_generation(session, owner, prompt="A red fox in snow")
    create_generation(session, owner, prompt="a blue whale")
    create_generation(session, create_user(session), prompt="a red fox again")
    found = repository.search_generations(session, user="painter@example.test", q="red FOX")
    assert [g.id for g in found] == [wanted.id]


def test_the_audit_search_filters_by_actor_email_and_action_prefix(session: Session, admin_user: User) -> None:
    other_admin, target = create_user(session, role=Role.ADMIN), create_user(session)
    service.set_tier(session, actor=admin_user, user_id=target.id, tier=Tier.PRO)
    service.end_sessions(session, actor=admin_user, user_id=target.id)
    service.set_tier(session, actor=other_admin, user_id=target.id, tier=Tier.FREE)
    found = audit.search(session, actor="boss@example.test", action="user.tier")
    assert [(e.action, e.after, e.actor_email) for e in found] == [("user.tier_changed", "PRO", "boss@example.test")]


def test_retrying_a_failed_generation_submits_it_again_for_its_owner(session: Session, admin_user: User) -> None:
    owner = create_user(session, credit_balance=10)
    failed = create_generation(session, owner, status=GenerationStatus.FAILED, error_code="provider_error")
    retried = service.retry_generation(session, actor=admin_user, generation_id=failed.id)
    assert retried.user_id == owner.id and retried.retry_of_id == failed.id
    assert session.get(Generation, retried.id) is not None
    assert audit_rows(session, failed.id)[0].details["after"] == retried.id


def test_staff_ending_an_accounts_sessions_tells_its_open_pages_after_the_commit(
    live_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[tuple[str, dict[str, object]]] = []
    monkeypatch.setattr(events, "publish", lambda channel, event: published.append((channel, event)))
    with uow() as session:
        admin, target = create_user(session, role=Role.ADMIN), create_user(session, credit_balance=3)
        admin_id, target_id = admin.id, target.id
    with uow() as session:
        actor = service.staff(session, user_id=admin_id)
        service.adjust_credits(session, actor=actor, user_id=target_id, amount=5, reason="make-good")
        service.suspend(session, actor=actor, user_id=target_id, reason="fraud")
        assert published == [], "nothing is told before the commit"
    mine = [event for channel, event in published if channel == target_id]
    assert mine == [{"type": "credits.changed", "balance": 8}, {"type": "session.ended", "reason": "suspended"}]
    with pytest.raises(ValidationFailed), uow() as session:
        service.end_sessions(session, actor=service.staff(session, user_id=admin_id), user_id=target_id)
        raise ValidationFailed("rolled back")
    assert len([e for c, e in published if c == target_id]) == 2, "a rolled-back action tells nobody"
