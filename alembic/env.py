"""Alembic's entry point: which database to migrate and which models to compare it with.

The database, first match wins:
1. `config.attributes["connection"]`: a live connection handed over by code (the CLI's
   `migrate`, the prestart step, the tests). Its transaction, if one is open, is used as is.
2. `alembic -x url=...` on the command line.
3. The app's own setting (DATABASE_URL, or the SQLite file under data/).
"""

from __future__ import annotations

from logging.config import fileConfig
from pathlib import Path
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript
from sqlalchemy import Connection, create_engine, make_url, pool
from sqlalchemy.types import TypeDecorator
from sqlmodel.sql.sqltypes import AutoString

import dreampixel.core.models  # noqa: F401  (registers every table on the metadata)
from dreampixel.core.db import metadata
from dreampixel.core.models import base as models_base
from dreampixel.core.settings import settings

config = context.config
target_metadata = metadata

# Only the alembic command line sets up logging; code that hands over a connection has
# configured its own and must not have it replaced.
if config.cmd_opts is not None and config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or settings.sqlalchemy_url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Our column types are Python conveniences over plain SQL types. A migration records the
    # plain type, so it never imports app code that may change or move after it was written.
    ours = isinstance(obj, TypeDecorator) and type(obj).__module__ == models_base.__name__
    if type_ == "type" and (ours or isinstance(obj, AutoString)):
        return f"sa.{obj.impl!r}"
    return False


def skip_empty_revision(ctx: Any, revision: Any, directives: list[MigrationScript]) -> None:
    # `alembic revision --autogenerate` with nothing to change should not leave an empty file.
    if config.cmd_opts is not None and getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops is not None and script.upgrade_ops.is_empty():
            directives[:] = []


def configure_options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "compare_server_default": True,
        "render_item": render_item,
        "process_revision_directives": skip_empty_revision,
    }


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, **configure_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(make_url(url).get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        run_with(given)
        return
    url = make_url(database_url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # A plain engine, not the app's: SQLite keeps foreign keys off here, as batch mode needs
    # when it rebuilds a table that other tables point at (with them on, the rebuild's DROP
    # TABLE would cascade into the referencing rows).
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            run_with(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
