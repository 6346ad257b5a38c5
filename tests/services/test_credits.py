"""Credits: conditional updates, a ledger row per change, and a ledger that sums to the balance."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from dreampixel.core.models import CreditLedger, LedgerReason, User
from services.credits import service as credits
from tests.factories import create_user


def ledger_sum(session: Session, user_id: str) -> int:
    return session.exec(select(func.coalesce(func.sum(CreditLedger.delta), 0)).where(CreditLedger.user_id == user_id)).one()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_grant_and_debit_keep_the_ledger_equal_to_the_balance(session: Session) -> None:
    user = create_user(session, credit_balance=0)
    credits.grant(session, user_id=user.id, amount=10, reference="signup")
    entry = credits.debit(session, user_id=user.id, amount=3, reason=LedgerReason.HOLD, reference="gen_1")
    assert entry.balance_after == 7 and entry.delta == -3
    session.refresh(user)
    assert user.credit_balance == 7 == ledger_sum(session, user.id)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_debit_larger_than_the_balance_is_refused_and_writes_nothing(session: Session) -> None:
    user = create_user(session, credit_balance=0)
    credits.grant(session, user_id=user.id, amount=2)
    with pytest.raises(credits.InsufficientCredits) as refused:
        credits.debit(session, user_id=user.id, amount=3, reason=LedgerReason.HOLD)
    assert refused.value.status_code == 402 and refused.value.code == "insufficient_credits"
    session.refresh(user)
    assert user.credit_balance == 2 == ledger_sum(session, user.id)
    assert len(session.exec(select(CreditLedger).where(CreditLedger.user_id == user.id)).all()) == 1


def test_amounts_must_be_positive(session: Session) -> None:
    user = create_user(session)
    with pytest.raises(ValueError):
        credits.grant(session, user_id=user.id, amount=0)
    with pytest.raises(ValueError):
        credits.debit(session, user_id=user.id, amount=-1, reason=LedgerReason.HOLD)


def test_a_debit_for_a_missing_user_is_refused(session: Session) -> None:
    with pytest.raises(credits.InsufficientCredits):
        credits.debit(session, user_id="usr_missing", amount=1, reason=LedgerReason.HOLD)
    assert session.get(User, "usr_missing") is None
