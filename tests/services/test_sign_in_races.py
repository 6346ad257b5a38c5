"""Sign-in under parallel attempts: the lockout counts every wrong password exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from dreampixel.core import db
from dreampixel.core.db import create_db_engine, uow
from services.accounts import login, passwords
from tests.factories import create_user
from tests.fixtures.accounts import PASSWORD

PARALLEL = 50


@pytest.fixture
def wide_db(live_db: Engine) -> Iterator[Engine]:
    """`live_db` with a connection for every attempt, so none waits for the pool."""
    engine = create_db_engine(live_db.url.render_as_string(hide_password=False), pool_size=PARALLEL)
    previous = db._factory, db._engine
    db.bind(engine)
    try:
        yield engine
    finally:
        db._factory, db._engine = previous
        engine.dispose()


def _attempt(email: str, password: str, address: str) -> login.SignInResult:
    with uow() as session:
        return login.sign_in(session, email=email, password=password, address=address)


def test_fifty_parallel_wrong_passwords_lock_the_account_after_exactly_five(wide_db: Engine) -> None:
    with uow() as session:
        email = create_user(session, password_hash=passwords.hash_password(PASSWORD)).email

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda i: _attempt(email, "wrong-password", f"10.50.{i}.1"), range(PARALLEL)))

    errors = [r.error for r in results]
    assert errors.count(login.INCORRECT) == login.MAX_FAILURES - 1
    assert all("Too many failed attempts" in (e or "") for e in errors if e != login.INCORRECT)
    locked_out = _attempt(email, PASSWORD, "10.51.0.1")
    assert not locked_out.ok and "Too many failed attempts" in (locked_out.error or "")
