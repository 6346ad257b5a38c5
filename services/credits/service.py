"""Credits: every change is one conditional UPDATE plus a ledger row with the balance after.

The balance lives on the user row; the ledger is its history. The two always agree because
both are written in the same transaction and the balance is never read-then-written.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from dreampixel.core.errors import DreamPixelError, NotFound
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


def _locked_balance(session: Session, user_id: str) -> int | None:
    """The balance, with the user's row locked until commit (PostgreSQL; SQLite serializes writers)."""
    statement = select(col(User.credit_balance)).where(col(User.id) == user_id).with_for_update()
    balance: int | None = session.execute(statement).scalar_one_or_none()
    return balance


def _has_entry(session: Session, *, user_id: str, reason: LedgerReason, reference: str) -> bool:
    statement = select(col(CreditLedger.id)).where(
        col(CreditLedger.user_id) == user_id, col(CreditLedger.reason) == reason, col(CreditLedger.reference) == reference
    )
    return session.execute(statement.limit(1)).first() is not None


def _forget_cached_balance(session: Session, user_id: str) -> None:
    """The UPDATE bypasses the ORM: make a User already loaded in this session re-read its balance."""
    cached = session.identity_map.get(session.identity_key(User, user_id))
    if cached is not None:
        session.expire(cached, ["credit_balance"])


def grant_once(session: Session, *, user_id: str, reason: LedgerReason, reference: str,
               amount: Callable[[int], int]) -> CreditLedger | None:
    """Add `amount(balance)` credits unless (user, reason, reference) was granted before; None then.

    The amount may be 0: the row still records that this reference was settled. A concurrent
    grant of the same reference waits on the user's row lock and then finds the first one; the
    unique index (see models.billing) is the last line, caught in a savepoint.
    """
    try:
        with session.begin_nested():
            balance = _locked_balance(session, user_id)
            if balance is None or _has_entry(session, user_id=user_id, reason=reason, reference=reference):
                return None
            delta = amount(balance)
            if delta < 0:
                raise ValueError("grant_once needs an amount of at least 0")
            entry = _apply(session, user_id=user_id, delta=delta, reason=reason, reference=reference,
                           require_funds=False)
    except IntegrityError:
        return None
    _forget_cached_balance(session, user_id)
    return entry


def adjust(session: Session, *, user_id: str, amount: int, reason: LedgerReason = LedgerReason.ADJUSTMENT,
           reference: str | None = None) -> CreditLedger:
    """Add `amount` credits, or remove them when negative, never taking the balance below 0."""
    balance = _locked_balance(session, user_id)
    if balance is None:
        raise NotFound("No such user.")
    entry = _apply(session, user_id=user_id, delta=max(amount, -balance), reason=reason, reference=reference,
                   require_funds=False)
    _forget_cached_balance(session, user_id)
    return entry
