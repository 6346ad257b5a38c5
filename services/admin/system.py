"""System health for the admin console: dependencies, providers, the queue, worker heartbeats, the schema revision."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from dreampixel.core.models import Generation, GenerationStatus, WorkerHeartbeat, utcnow
from dreampixel.core.settings import settings
from services.admin import repository
from services.health import service as health

# A worker beats every 30 s; one silent for longer than this is shown as gone.
HEARTBEAT_STALE_SECONDS = 120
ERROR_RATE_WINDOW = timedelta(hours=1)


def worker_name() -> str:
    """The name this process reports its heartbeat under: WORKER_NAME, or hostname:pid."""
    return settings.worker_name.strip() or f"{socket.gethostname()}:{os.getpid()}"


def beat(session: Session, *, name: str, kind: str, started_at: datetime | None = None, jobs_done: int = 0,
         jobs_failed: int = 0) -> None:
    """Record that the worker `name` is alive now, with its job counts (one row per worker, upserted).

    A restarted worker under the same name (WORKER_NAME) starts its row again: new pid, start and counts.
    """
    now = utcnow()
    table = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"kind": kind, "host": socket.gethostname()[:255], "pid": os.getpid(), "started_at": started_at or now,
              "seen_at": now, "jobs_done": jobs_done, "jobs_failed": jobs_failed}
    statement = insert(table).values(name=name[:128], **values)
    session.execute(statement.on_conflict_do_update(index_elements=[table.c.name], set_=values))


def heartbeats(session: Session, *, now: datetime | None = None, max_age: float = HEARTBEAT_STALE_SECONDS,
               host: str | None = None) -> list[dict[str, Any]]:
    """Workers seen in the last day (on `host` only, when given), newest first, each marked alive
    (seen within `max_age` seconds) or gone."""
    now = now or utcnow()
    query = select(WorkerHeartbeat).where(col(WorkerHeartbeat.seen_at) >= now - timedelta(days=1))
    if host is not None:
        query = query.where(col(WorkerHeartbeat.host) == host)
    rows = session.exec(query.order_by(col(WorkerHeartbeat.seen_at).desc())).all()
    return [{"name": r.name, "kind": r.kind, "host": r.host, "pid": r.pid, "started_at": r.started_at.isoformat(),
             "seen_at": r.seen_at.isoformat(), "last_seen": r.seen_at.isoformat(),
             "age_seconds": int((now - r.seen_at).total_seconds()), "jobs_done": r.jobs_done,
             "jobs_failed": r.jobs_failed, "alive": (now - r.seen_at).total_seconds() <= max_age} for r in rows]


def provider_error_rates(session: Session, *, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per provider, the generations that ended in the last hour and the share that failed."""
    now = now or utcnow()
    ended = (GenerationStatus.SUCCEEDED, GenerationStatus.FAILED, GenerationStatus.EXPIRED)
    rows = session.exec(
        select(Generation.provider_used, Generation.status, func.count())
        .where(col(Generation.completed_at) >= now - ERROR_RATE_WINDOW, col(Generation.status).in_(ended),
               col(Generation.provider_used).is_not(None))
        .group_by(col(Generation.provider_used), col(Generation.status))
    ).all()
    rates: dict[str, dict[str, Any]] = {}
    for provider, status, count in rows:
        entry = rates.setdefault(str(provider), {"ended": 0, "failed": 0})
        entry["ended"] += int(count)
        if GenerationStatus(status) is not GenerationStatus.SUCCEEDED:
            entry["failed"] += int(count)
    for entry in rates.values():
        entry["error_rate"] = round(entry["failed"] / entry["ended"], 4) if entry["ended"] else 0.0
    return rates


def queue_report(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    depth, oldest = repository.queue_depth(session)
    processing = session.exec(select(func.count()).select_from(Generation)
                              .where(col(Generation.status) == GenerationStatus.PROCESSING)).one()
    return {"depth": depth, "processing": int(processing),
            "oldest_age_seconds": int((now - oldest).total_seconds()) if oldest else None}


def database_report(session: Session) -> dict[str, Any]:
    """The schema's migration revision, read on the session's own connection (a second SQLite
    connection would wait for this transaction's write lock)."""
    return {"revision": MigrationContext.configure(session.connection()).get_current_revision()}


async def dependencies() -> dict[str, Any]:
    """The health checks (database, Redis, storage, providers with their circuit), run concurrently."""
    return await health.check()
