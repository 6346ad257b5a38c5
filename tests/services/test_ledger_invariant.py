"""The ledger always sums to the balance, whatever mix of holds, releases and grants happens."""

from __future__ import annotations

import random

import pytest
from sqlmodel import Session, func, select

from dreampixel.core.models import CreditLedger, LedgerReason, User
from services.credits import service as credits
from tests.factories import create_user


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_operations_keep_ledger_and_balance_equal(session: Session, seed: int) -> None:
    rng = random.Random(seed)
    user = create_user(session)
    expected = 0
    for _ in range(200):
        amount = rng.randint(1, 7)
        if rng.random() < 0.5:
            credits.grant(session, user_id=user.id, amount=amount, reason=rng.choice(
                [LedgerReason.GRANT, LedgerReason.RELEASE, LedgerReason.PURCHASE]))
            expected += amount
        else:
            try:
                credits.debit(session, user_id=user.id, amount=amount, reason=LedgerReason.HOLD)
                expected -= amount
            except credits.InsufficientCredits:
                assert expected < amount
        assert expected >= 0
    session.refresh(user)
    ledger = session.exec(select(func.sum(CreditLedger.delta)).where(CreditLedger.user_id == user.id)).one()
    last = session.exec(select(CreditLedger).where(CreditLedger.user_id == user.id)
                        .order_by(CreditLedger.id.desc())).first()  # type: ignore[union-attr]
    assert user.credit_balance == ledger == expected == last.balance_after  # type: ignore[union-attr]
    assert session.get(User, user.id).credit_balance >= 0  # type: ignore[union-attr]
