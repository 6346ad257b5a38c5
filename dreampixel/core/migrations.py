"""Running Alembic from code: the CLI's `migrate`, the app's prestart and the tests.

On PostgreSQL the upgrade holds an advisory lock for its whole transaction, so every replica
may run `python -m dreampixel migrate` at start: the first one migrates, the others wait for
its commit and then find the schema at head with nothing left to do.
"""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

REPO_ROOT = Path(__file__).resolve().parents[2]
# The advisory lock key of schema migrations: any fixed 64-bit number that nothing else uses
# ("dpmigrat" in ASCII).
MIGRATION_LOCK_KEY = 0x64706D6967726174


def alembic_config() -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    return config


def wait_for_database(engine: Engine, *, timeout: float = 30) -> None:
    """Block until the database answers, so a prestart step survives a slow container start."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def upgrade_head(engine: Engine) -> str | None:
    """Bring the schema up to the newest migration (under the migration lock on PostgreSQL);
    returns the revision found before, read under the lock (None: an empty database)."""
    from alembic.runtime.migration import MigrationContext

    config = alembic_config()
    # A batch migration rebuilds a SQLite table by dropping the old copy; with foreign keys on
    # (as the app's engine has them) that drop would cascade into the rows pointing at it.
    # Migrate SQLite through a plain engine, where foreign keys stay off.
    target = create_engine(engine.url) if engine.dialect.name == "sqlite" else engine
    try:
        with target.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Released by the commit that also makes the new schema visible to the waiters.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if target is not engine:
            target.dispose()
    return before


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
