"""A PostgreSQL restart between or during jobs: the next job and the running one carry on by
themselves, without the reaper (which would only send a stuck generation again minutes later)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from arq.worker import Retry
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dreampixel.core import db
from dreampixel.core.db import create_db_engine, in_uow, is_disconnect
from dreampixel.core.migrations import upgrade_head
from dreampixel.core.models import GenerationStatus
from services.jobs import service as jobs
from tests.factories import create_user
from tests.fakes.scripted import ScriptedProvider
from tests.fixtures.engine import Harness, load, make_user, submit
from tests.fixtures.postgres import POSTGRES_BIN_DIRS, SERVER_OPTIONS, LocalPostgres
from tests.fixtures.processes import find_binary, free_port
from workers.functions import DATABASE_TRIES, measured


class TrackedEngine:
    """An app engine whose server-side backends the test can see and terminate."""

    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url, pool_size=5)
        self.pids: set[int] = set()
        event.listen(self.engine, "connect", lambda dbapi, _record: self.pids.add(dbapi.get_backend_pid()))

    def terminate_backends(self, admin: Engine) -> int:
        """What a PostgreSQL restart does to every pooled connection: the server ends them."""
        with admin.connect() as connection:
            ended = connection.execute(
                text("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                     "WHERE pid = ANY(:pids)"), {"pids": sorted(self.pids)}).scalar_one()
        return int(ended)


@pytest.fixture
def tracked(live_db: Engine, postgres_url: str) -> Iterator[TrackedEngine]:
    """The app on an engine of its own (the shared test engine keeps its connections alive)."""
    tracked = TrackedEngine(postgres_url)
    db.bind(tracked.engine)
    try:
        yield tracked
    finally:
        db.bind(live_db)
        tracked.engine.dispose()


async def test_a_generation_after_the_servers_connections_were_ended_succeeds_at_once(
    engine: Harness, tracked: TrackedEngine, scripted: dict[str, ScriptedProvider], live_db: Engine
) -> None:
    user_id = make_user(credits=10)
    # Three at once, so the pool holds several connections.
    first = [await asyncio.to_thread(submit, user_id) for _ in range(3)]
    await engine.settle()
    assert [load(g).status for g in first] == [GenerationStatus.SUCCEEDED] * 3
    # Submitted (by the app, on connections of its own) before the server ends the worker's.
    queue = jobs.uninstall()
    after = await asyncio.to_thread(submit, user_id)
    jobs.install(queue)  # type: ignore[arg-type]
    assert tracked.terminate_backends(live_db) >= 2

    await engine.queue.enqueue("generation.run", after)
    await engine.settle()  # no reaper runs in this harness: the job must finish by itself
    generation = load(after)
    assert generation.status is GenerationStatus.SUCCEEDED, generation.error_message
    assert generation.retry_count == 0, "the job was not sent again"
    assert len(scripted["alpha"].calls) == 4, "each generation asked its provider once"


async def test_a_running_generation_completes_although_its_connections_were_ended(
    engine: Harness, tracked: TrackedEngine, scripted: dict[str, ScriptedProvider], live_db: Engine
) -> None:
    alpha = scripted["alpha"]
    alpha.gate = asyncio.Event()
    alpha.will(("wait",))
    generation_id = await asyncio.to_thread(submit, make_user(credits=10))
    for _ in range(250):  # the claim is committed and the provider is working
        if alpha.calls:
            break
        await asyncio.sleep(0.02)
    assert tracked.terminate_backends(live_db) >= 1
    alpha.gate.set()  # its answer is then recorded on a connection the server has ended
    await engine.settle()
    generation = load(generation_id)
    assert generation.status is GenerationStatus.SUCCEEDED, generation.error_message
    assert generation.retry_count == 0 and len(alpha.calls) == 1


@pytest.fixture
def own_postgres(pg_engine: Engine) -> Iterator[LocalPostgres]:
    """A PostgreSQL server of this test's own, to stop and start (the shared one serves other tests)."""
    initdb, pg_ctl = find_binary("initdb", *POSTGRES_BIN_DIRS), find_binary("pg_ctl", *POSTGRES_BIN_DIRS)
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL's server binaries are not installed here (TEST_DATABASE_URL names a server)")
    server = LocalPostgres(initdb, pg_ctl)
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def test_a_generation_whose_database_restarts_while_it_runs_succeeds_once_it_is_back(
    own_postgres: LocalPostgres, scripted: dict[str, ScriptedProvider], tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from dreampixel.core.settings import settings
    from services.storage import reset_storage_cache
    from workers import in_process

    app_engine = create_db_engine(own_postgres.url, pool_size=5)
    upgrade_head(app_engine)
    previous = db._factory, db._engine
    db.bind(app_engine)
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    reset_storage_cache()
    queue = await in_process.start(reap_every=None)
    try:
        alpha = scripted["alpha"]
        alpha.gate = asyncio.Event()
        alpha.will(("wait",))
        generation_id = await asyncio.to_thread(submit, make_user(credits=10))
        for _ in range(250):
            if alpha.calls:
                break
            await asyncio.sleep(0.02)
        assert alpha.calls, "the provider was asked"

        pg_ctl = [own_postgres.pg_ctl, "-D", str(own_postgres.data)]
        await asyncio.to_thread(own_postgres._run, [*pg_ctl, "-m", "fast", "-w", "stop"])
        alpha.gate.set()  # the answer arrives while the database is down
        await asyncio.sleep(1.5)  # the run is retrying its completion meanwhile
        options = f"{SERVER_OPTIONS} -p {own_postgres.port} -k {own_postgres.base}"
        await asyncio.to_thread(own_postgres._run, [*pg_ctl, "-l", str(own_postgres.log), "-o", options, "-w", "start"])
        await queue.join(timeout=30)

        generation = load(generation_id)
        assert generation.status is GenerationStatus.SUCCEEDED, generation.error_message
        assert generation.retry_count == 0 and len(alpha.calls) == 1
    finally:
        await in_process.stop(queue)
        reset_storage_cache()
        db._factory, db._engine = previous
        app_engine.dispose()


# --- telling a lost connection from other database errors -----------------------------------------


def test_a_refused_connection_is_a_disconnect_and_a_constraint_violation_is_not(
    pg_engine: Engine, session: Session
) -> None:
    nowhere = create_db_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        with pytest.raises(Exception) as refused, nowhere.connect():
            pass
    finally:
        nowhere.dispose()
    assert is_disconnect(refused.value), refused.value

    user = create_user(session)
    with pytest.raises(IntegrityError) as duplicate:
        create_user(session, email=user.email)
    assert not is_disconnect(duplicate.value)
    assert not is_disconnect(ValueError("server closed the connection unexpectedly"))


async def test_a_job_that_cannot_reach_the_database_is_tried_again_a_few_times(
    live_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = create_db_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/postgres")
    db.bind(nowhere)
    try:
        async def count_users(_ctx: dict[str, Any]) -> int:
            return await in_uow(lambda s: s.execute(text("SELECT count(*) FROM users")).scalar_one())

        job = measured("test.count_users", count_users)
        with pytest.raises(Retry) as retry:
            await job({"job_try": 1, "job_id": "a"})
        assert retry.value.defer_score == 2000
        with pytest.raises(Retry) as retry:
            await job({"job_try": 3, "job_id": "a"})
        assert retry.value.defer_score == 8000
        with pytest.raises(Exception) as given_up:  # the last try fails as arq would record it
            await job({"job_try": DATABASE_TRIES, "job_id": "a"})
        assert not isinstance(given_up.value, Retry) and is_disconnect(given_up.value)

        async def broken(_ctx: dict[str, Any]) -> None:
            raise ValueError("not a database problem")

        with pytest.raises(ValueError):
            await measured("test.broken", broken)({"job_try": 1})
    finally:
        db.bind(live_db)
        nowhere.dispose()
