"""Credits: every change is one conditional UPDATE plus a ledger row with the balance after.

The balance lives on the user row; the ledger is its history. The two always agree because
both are written in the same transaction and the balance is never read-then-written.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col

from dreampixel.core.errors import DreamPixelError
from dreampixel.core.models import CreditLedger, LedgerReason, User


class InsufficientCredits(DreamPixelError):
    status_code = 402
    code = "insufficient_credits"
    title = "Insufficient credits"


# Built once: every submit and every release runs one of them.
_CHANGE = (
    update(User)
    .where(col(User.id) == bindparam("user_id"))
    .values(credit_balance=User.credit_balance + bindparam("delta"))
    .returning(col(User.credit_balance))
)
_DEBIT = _CHANGE.where(col(User.credit_balance) >= -bindparam("delta"))


def _apply(session: Session, *, user_id: str, delta: int, reason: LedgerReason, reference: str | None,
           require_funds: bool) -> CreditLedger:
    statement = _DEBIT if require_funds and delta < 0 else _CHANGE
    balance = session.execute(statement, {"user_id": user_id, "delta": delta}).scalar_one_or_none()
    if balance is None:
        needed = -delta
        raise InsufficientCredits(f"This needs {needed} credit{'s' if needed != 1 else ''} and your balance is lower.")
    entry = CreditLedger(user_id=user_id, delta=delta, reason=reason, reference=reference, balance_after=balance)
    # A plain INSERT rather than add() + flush(): this runs on every submit and release, and
    # the ledger row is never changed afterwards.
    session.execute(insert(CreditLedger.__table__), [{  # type: ignore[attr-defined]
        "id": entry.id, "created_at": entry.created_at, "user_id": user_id, "delta": delta, "reason": reason,
        "reference": reference, "balance_after": balance,
    }])
    return entry


def grant(session: Session, *, user_id: str, amount: int, reason: LedgerReason = LedgerReason.GRANT,
          reference: str | None = None) -> CreditLedger:
    """Add `amount` credits (purchases, subscriptions, refunds, admin grants)."""
    if amount <= 0:
        raise ValueError("grant needs a positive amount")
    return _apply(session, user_id=user_id, delta=amount, reason=reason, reference=reference, require_funds=False)


def debit(session: Session, *, user_id: str, amount: int, reason: LedgerReason, reference: str | None = None) -> CreditLedger:
    """Take `amount` credits if the balance covers it, else raise InsufficientCredits."""
    if amount <= 0:
        raise ValueError("debit needs a positive amount")
    return _apply(session, user_id=user_id, delta=-amount, reason=reason, reference=reference, require_funds=True)
