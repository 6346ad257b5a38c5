"""The credit-allowance migration grants this month's FREE allowance to the accounts that exist today."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, text

from dreampixel.core.settings import settings
from tests.core.test_migrations import BOTH, alembic, empty_engine  # noqa: F401  (fixture)

BEFORE = "11ef198293f1"
AT = "2026-11-30 10:00:00.000000"


def add_user(engine: Engine, user_id: str, *, tier: str = "FREE", status: str = "ACTIVE", verified: bool = True,
             balance: int = 0) -> None:
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, email, name, tier, role, status, credit_balance, email_verified_at, "
            "failed_login_count, created_at, updated_at) VALUES (:id, :email, 'x', :tier, 'USER', :status, "
            ":balance, :verified, 0, :at, :at)"),
            {"id": user_id, "email": f"{user_id}@example.test", "tier": tier, "status": status, "balance": balance,
             "verified": AT if verified else None, "at": AT})
        if balance:
            connection.execute(text(
                "INSERT INTO credit_ledger (id, user_id, delta, reason, reference, balance_after, created_at) "
                "VALUES (:id, :user_id, :delta, 'grant', 'signup', :delta, :at)"),
                {"id": f"led_{user_id}", "user_id": user_id, "delta": balance, "at": AT})


def balances(engine: Engine) -> dict[str, tuple[int, int, list[int]]]:
    """Per user: (balance, ledger sum, deltas of this month's allowance rows)."""
    reference = f"allowance:FREE:{datetime.now(UTC):%Y-%m}"
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, credit_balance, (SELECT coalesce(sum(delta), 0) FROM credit_ledger l WHERE l.user_id = u.id) "
            "FROM users u")).all()
        grants = connection.execute(text(
            "SELECT user_id, delta FROM credit_ledger WHERE reason = 'subscription' AND reference = :reference"),
            {"reference": reference}).all()
    return {user_id: (balance, total, [delta for owner, delta in grants if owner == user_id])
            for user_id, balance, total in rows}


@BOTH
def test_upgrading_grants_the_free_allowance_to_verified_accounts_once(
    empty_engine: Engine, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setattr(settings, "credits_free_monthly", 30)
    alembic(empty_engine, command.upgrade, BEFORE)
    add_user(empty_engine, "usr_verified")
    add_user(empty_engine, "usr_unverified", verified=False)
    add_user(empty_engine, "usr_rich", balance=100)
    add_user(empty_engine, "usr_pro", tier="PRO")
    add_user(empty_engine, "usr_suspended", status="SUSPENDED")

    alembic(empty_engine, command.upgrade, "head")
    alembic(empty_engine, command.downgrade, BEFORE)
    alembic(empty_engine, command.upgrade, "head")  # a second upgrade grants nothing more

    assert balances(empty_engine) == {
        "usr_verified": (30, 30, [30]),
        "usr_unverified": (0, 0, []),
        "usr_rich": (100, 100, [0]),
        "usr_pro": (0, 0, []),
        "usr_suspended": (0, 0, []),
    }
