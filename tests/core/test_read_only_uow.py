"""A unit of work that only reads does not queue behind a writer on SQLite."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dreampixel.core import db
from dreampixel.core.db import create_db_engine, uow


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('first')"))
    db.bind(engine)
    yield engine
    db._factory = None
    db._engine = None
    engine.dispose()


def test_a_read_only_unit_of_work_reads_while_a_writer_holds_the_lock(sqlite_engine: Engine) -> None:
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:
        with uow() as session:  # BEGIN IMMEDIATE: the write lock, held until the block ends
            session.execute(text("INSERT INTO notes VALUES ('second')"))
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(10)
        started = time.monotonic()
        with uow(read_only=True) as session:
            bodies = session.execute(text("SELECT body FROM notes")).scalars().all()
        waited = time.monotonic() - started
    finally:
        done.set()
        thread.join()

    assert bodies == ["first"]  # the committed snapshot, without the writer's row
    assert waited < 1  # a writing unit of work would have waited for the lock (up to 30 s)
    with uow(read_only=True) as session:
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 2
