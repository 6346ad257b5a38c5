"""Running Alembic from code: the CLI's `migrate`, the app's prestart and the tests."""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

REPO_ROOT = Path(__file__).resolve().parents[2]


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


def upgrade_head(engine: Engine) -> None:
    """Bring the schema up to the newest migration."""
    config = alembic_config()
    # A batch migration rebuilds a SQLite table by dropping the old copy; with foreign keys on
    # (as the app's engine has them) that drop would cascade into the rows pointing at it.
    # Migrate SQLite through a plain engine, where foreign keys stay off.
    target = create_engine(engine.url) if engine.dialect.name == "sqlite" else engine
    try:
        with target.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if target is not engine:
            target.dispose()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
