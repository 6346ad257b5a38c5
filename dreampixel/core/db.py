"""Engine, session factory and the unit of work.

Services take a session and never commit. The edge (an event handler, an API endpoint, a
job) opens `uow()`, which commits once at the end. Work that must only happen once the data
is durable (enqueueing a job, publishing an event) is registered with `after_commit()`: it
runs after a successful commit and is dropped on rollback.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings

log = get_logger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

_AFTER_COMMIT = "dreampixel.after_commit"

T = TypeVar("T")


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine with the settings each backend needs."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping: it costs a round trip on every checkout, and the worker checks out a
    # connection several times per generation. A connection the server dropped fails its
    # statement once (jobs retry, requests answer 503), and SQLAlchemy then replaces the
    # whole pool; recycling bounds how old an idle connection can get.
    return create_engine(url, pool_pre_ping=False, pool_recycle=1800, pool_size=pool_size, max_overflow=pool_size)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # WAL is a property of the file, kept once set. Switching needs a moment alone with the
    # file, which a second process opening it at start-up may not get: then the file is
    # either WAL already or the next connection sets it; a busy switch is not an error.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            log.warning("sqlite: could not switch to WAL yet (the database is busy)")
    cursor.close()


# The execution option a read-only unit of work sets on its connection.
READ_ONLY = "dreampixel_read_only"


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front, so two writers queue instead of failing
    # halfway with "database is locked" on upgrade from a read lock. A unit of work that only
    # reads begins deferred: under WAL it reads a snapshot and never waits for writers.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = create_db_engine(settings.sqlalchemy_url, pool_size=settings.database_pool_size)
    return _engine


def bind(target: Engine | Connection) -> None:
    """Point every new session at `target` (tests bind a connection inside a transaction)."""
    global _factory, _engine
    if isinstance(target, Engine):
        _engine = target
        _factory = sessionmaker(bind=target, class_=Session, expire_on_commit=False)
    else:
        _factory = sessionmaker(
            bind=target,
            class_=Session,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )


def session_factory() -> sessionmaker[Session]:
    global _factory
    if _factory is None:
        _factory = sessionmaker(bind=get_engine(), class_=Session, expire_on_commit=False)
    return _factory


def new_session() -> Session:
    return session_factory()()


@contextmanager
def uow(*, read_only: bool = False) -> Iterator[Session]:
    """Open a session, commit it when the block ends, roll it back if the block raises.

    `read_only`: the block only reads (hot API reads). On SQLite it then does not queue for
    the write lock; elsewhere it changes nothing.
    """
    session = new_session()
    try:
        if read_only and isinstance(session.get_bind(), Engine):
            session.connection(execution_options={READ_ONLY: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def in_uow(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(session, *args)` in its own unit of work on a thread, off the event loop."""

    def work() -> T:
        with uow() as session:
            return fn(session, *args)

    return await asyncio.to_thread(work)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once `session` has committed; forget it if the session rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy also fires this when a savepoint is released; the work is not committed yet.
        return
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # one failing hook must not hide the others
            log.exception("after_commit callback failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_AFTER_COMMIT, None)
