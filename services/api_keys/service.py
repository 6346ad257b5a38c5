"""API keys: shown once, stored as a SHA-256 hash with a short visible prefix.

Only accounts with a confirmed email get keys: a key made by someone who signed up with
another person's address would outlive that person taking the account back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy
from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, func, select

from dreampixel.core.errors import Forbidden, NotFound, RateLimited, Unauthorized, ValidationFailed
from dreampixel.core.models import ApiKey, Generation, User, UserStatus, utcnow

KEY_PREFIX = "dp_live_"
VISIBLE_CHARS = 12
SCOPES = frozenset(
    {
        "generations:read",
        "generations:write",
        "images:read",
        "uploads:write",
        "seeds:read",
        "account:read",
        "webhooks:manage",
    }
)
DEFAULT_SCOPES = ("generations:read", "generations:write", "images:read", "uploads:write", "seeds:read", "account:read")


class EmailNotVerified(Forbidden):
    code = "email_not_verified"


NOT_VERIFIED_MESSAGE = "Confirm your email address before creating API keys."


def hash_key(plaintext: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is as safe as a slow one here.
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_key(
    session: Session,
    *,
    user_id: str,
    name: str,
    scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
    daily_credit_cap: int | None = None,
    allow_unverified: bool = False,
) -> tuple[ApiKey, str]:
    """Insert a key and return it with its plaintext, which is never stored nor shown again.

    EmailNotVerified while the owner has not confirmed their email (`allow_unverified`: the operator's CLI).
    """
    owner = session.get(User, user_id)
    if owner is None:
        raise NotFound("No such account.")
    if owner.email_verified_at is None and not allow_unverified:
        raise EmailNotVerified(NOT_VERIFIED_MESSAGE)
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise ValidationFailed(
            f"Unknown scopes: {', '.join(unknown)}.",
            errors=[{"field": "scopes", "message": f"Choose from {', '.join(sorted(SCOPES))}."}],
        )
    if not name.strip():
        raise ValidationFailed("Give the key a name.", errors=[{"field": "name", "message": "Required."}])
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        user_id=user_id,
        name=name.strip(),
        prefix=plaintext[:VISIBLE_CHARS],
        key_hash=hash_key(plaintext),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        daily_credit_cap=daily_credit_cap,
    )
    session.add(key)
    session.flush()
    return key, plaintext


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"


class MissingScope(Forbidden):
    code = "insufficient_scope"


# last_used_at is written at most this often per key, so reads do not become writes.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class VerifiedKey:
    """A key that authenticated just now: who it acts for and what it may do (plain values, not rows)."""

    key_id: str
    user_id: str
    scopes: frozenset[str]
    tier: str
    # Whether last_used_at is older than LAST_USED_RESOLUTION (the caller then calls `touch`).
    last_used_due: bool


# Built once (it runs on every API request): the columns a request needs, not two whole rows.
_KEY_BY_HASH = (
    sqlalchemy.select(col(ApiKey.id), col(ApiKey.user_id), col(ApiKey.scopes), col(ApiKey.revoked_at), col(ApiKey.expires_at),
           col(ApiKey.last_used_at), col(User.status), col(User.tier))
    .join(User, col(User.id) == col(ApiKey.user_id))
    .where(col(ApiKey.key_hash) == bindparam("key_hash"))
)


def verify(session: Session, plaintext: str) -> VerifiedKey:
    """The live key and its active owner in one read, or InvalidApiKey (one message for unknown,
    revoked and expired keys and suspended owners). Writes nothing: read the key's state on every
    request, so a revocation or a suspension refuses the very next one."""
    refused = InvalidApiKey("The API key is missing, unknown, revoked or expired.")
    if not plaintext.startswith(KEY_PREFIX):
        raise refused
    row = session.execute(_KEY_BY_HASH, {"key_hash": hash_key(plaintext)}).first()
    if row is None:
        raise refused
    key_id, user_id, scopes, revoked_at, expires_at, last_used_at, status, tier = row
    now = utcnow()
    if revoked_at is not None or (expires_at is not None and expires_at <= now) or status is not UserStatus.ACTIVE:
        raise refused
    return VerifiedKey(key_id=key_id, user_id=user_id, scopes=frozenset(scopes), tier=tier.value,
                       last_used_due=last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION)


def touch(session: Session, *, key_id: str) -> None:
    """Stamp the key's last_used_at, unless another request did within LAST_USED_RESOLUTION."""
    now = utcnow()
    session.execute(
        update(ApiKey).where(col(ApiKey.id) == key_id)
        .where(or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) <= now - LAST_USED_RESOLUTION))
        .values(last_used_at=now)
    )


def authenticate(session: Session, plaintext: str) -> tuple[ApiKey, User]:
    """The key and its owner, or InvalidApiKey (same message for unknown, revoked and expired keys)."""
    verified = verify(session, plaintext)
    if verified.last_used_due:
        touch(session, key_id=verified.key_id)
    key, user = session.get(ApiKey, verified.key_id), session.get(User, verified.user_id)
    if key is None or user is None:
        raise InvalidApiKey("The API key is missing, unknown, revoked or expired.")
    return key, user


def list_keys(session: Session, *, user_id: str) -> list[ApiKey]:
    """`user_id`'s keys that are not revoked, newest first (expired ones included, marked by expires_at)."""
    return list(session.exec(
        select(ApiKey).where(ApiKey.user_id == user_id, col(ApiKey.revoked_at).is_(None))
        .order_by(col(ApiKey.created_at).desc())
    ).all())


def revoke_key(session: Session, *, user_id: str, key_id: str) -> bool:
    """Revoke one of `user_id`'s keys; False when it is not theirs or already revoked."""
    result = session.execute(
        update(ApiKey).where(col(ApiKey.id) == key_id, col(ApiKey.user_id) == user_id,
                             col(ApiKey.revoked_at).is_(None)).values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(session: Session, *, user_id: str) -> int:
    """Revoke every live key of `user_id`; returns how many."""
    result = session.execute(
        update(ApiKey).where(col(ApiKey.user_id) == user_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class DailyCreditCapReached(RateLimited):
    code = "api_key_daily_cap_reached"
    title = "API key daily credit cap reached"


def spent_today(session: Session, *, api_key_id: str, now: datetime) -> int:
    """Credits the key's generations of this UTC day hold or were charged (released ones excluded)."""
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    spent = session.execute(
        select(func.coalesce(func.sum(Generation.credits_held - Generation.credits_refunded), 0))
        .where(col(Generation.api_key_id) == api_key_id, col(Generation.created_at) >= midnight)
    ).scalar_one()
    return int(spent)


def enforce_daily_cap(session: Session, *, api_key_id: str, cost: int, now: datetime) -> None:
    """Refuse a submit that would take the key past its daily credit cap (429 until 00:00 UTC).

    Only correct while the caller holds the owner's row lock (the credit hold's UPDATE takes
    it), so that concurrent submits of one key are summed one after another.
    """
    cap = session.execute(select(ApiKey.daily_credit_cap).where(col(ApiKey.id) == api_key_id)).scalar_one_or_none()
    if cap is None:
        return
    spent = spent_today(session, api_key_id=api_key_id, now=now)
    if spent + cost <= cap:
        return
    midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), tzinfo=UTC)
    raise DailyCreditCapReached(
        f"This API key may spend {cap} credit{'s' if cap != 1 else ''} a day; {spent} are spent or held today "
        f"and this request needs {cost}. The cap resets at 00:00 UTC.",
        headers={"Retry-After": str(max(1, int((midnight - now).total_seconds())))},
        daily_credit_cap=cap, spent_today=spent, resets_at=midnight.isoformat(),
    )
