"""Idempotency-Key: the first answer to a request is kept for 24 h and replayed to its retries.

Same key and same body: the stored response again. Same key, other body: 422. Same key while
the first request still runs: 409. The in-progress record is committed before the work starts,
so a concurrent retry sees it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from dreampixel.core.errors import Conflict, DreamPixelError
from dreampixel.core.models import IdempotencyRecord, IdempotencyState, utcnow

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DreamPixelError):
    status_code = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


class IdempotentRequestInProgress(Conflict):
    code = "idempotent_request_in_progress"


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any
    headers: dict[str, str]


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def begin(session: Session, *, owner: str, key: str, method: str, path: str, fingerprint: str) -> Replay | None:
    """Claim `key` for this request (None), or return the stored answer to replay.

    Call inside its own unit of work, committed before the request's work starts.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DreamPixelError(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", status_code=400,
                              code="invalid_idempotency_key")
    now = utcnow()
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.owner) == owner,
                                                    col(IdempotencyRecord.key) == key,
                                                    col(IdempotencyRecord.expires_at) <= now))
    record = IdempotencyRecord(owner=owner, key=key, method=method, path=path, request_hash=fingerprint,
                               expires_at=now + TTL)
    try:
        with session.begin_nested():
            session.add(record)
        return None
    except IntegrityError:
        pass
    existing = session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
    ).one()
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request.")
    if existing.state is IdempotencyState.IN_PROGRESS:
        raise IdempotentRequestInProgress("A request with this Idempotency-Key is still being processed.")
    return Replay(existing.response_status or 200, existing.response_body, existing.response_headers or {})


def complete(session: Session, *, owner: str, key: str, status: int, body: Any, headers: dict[str, str],
             resource_id: str | None = None) -> None:
    record = session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
    ).one()
    record.state = IdempotencyState.COMPLETED
    record.response_status = status
    record.response_body = body
    record.response_headers = headers
    record.resource_id = resource_id
    session.add(record)


def abandon(session: Session, *, owner: str, key: str) -> None:
    """Forget an in-progress claim whose request failed, so a retry can run."""
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.owner) == owner,
                                                    col(IdempotencyRecord.key) == key,
                                                    col(IdempotencyRecord.state) == IdempotencyState.IN_PROGRESS))


def purge_expired(session: Session) -> int:
    result = session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
