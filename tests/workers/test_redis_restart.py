"""A Redis restart under a running arq worker: the worker waits for it and goes on with the next job."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from arq.connections import RedisSettings, create_pool
from arq.worker import func
from redis.exceptions import RedisError

from tests.fixtures.processes import find_binary, free_port, running_process
from tests.fixtures.redis import _answers
from workers.worker import Worker


@contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[None]:
    binary = find_binary("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(workdir)]
    url = f"redis://127.0.0.1:{port}/0"
    with running_process(argv, ready=lambda: _answers(url), what="redis-server", log_path=workdir / "redis.log"):
        yield


async def wait_for(check: Any, what: str, timeout: float = 20) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_the_worker_outlives_a_redis_restart_and_runs_the_next_job(tmp_path: Path) -> None:
    port = free_port()
    settings = RedisSettings(host="127.0.0.1", port=port, conn_retries=0)
    done: list[str] = []

    async def note(_ctx: dict[str, Any], what: str) -> None:
        done.append(what)

    async def enqueue(what: str) -> None:
        pool = await create_pool(settings)
        try:
            await pool.enqueue_job("note", what)
        finally:
            await pool.aclose()

    with redis_server(port, tmp_path):
        worker = Worker(functions=[func(note, name="note")], redis_settings=settings, poll_delay=0.02, max_jobs=10,
                        on_startup=None, on_shutdown=None, handle_signals=False)
        running = asyncio.create_task(worker.async_run())
        try:
            await enqueue("before")
            await wait_for(lambda: done == ["before"], "the first job")
        except BaseException:
            running.cancel()
            raise
    try:
        # Redis is gone. The client retries each command for a few seconds, then the poll fails:
        # arq's own worker ends there, with its process.
        await wait_for(lambda: running.done() or worker.redis_unreachable_since is not None,
                       "the worker to notice Redis is gone", timeout=60)
        assert not running.done(), running.exception() if running.done() else None
        await asyncio.sleep(1.0)  # and keeps waiting
        assert not running.done(), running.exception() if running.done() else None
        with redis_server(port, tmp_path):
            await enqueue("after")  # Redis came back empty: a job submitted now
            await wait_for(lambda: done == ["before", "after"], "the job sent after the restart")
            assert not running.done()
            assert worker.sem._value == 10, "no job slot was lost to the outage"
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await worker.close()
    finally:
        running.cancel()
        with contextlib.suppress(RedisError):
            await worker.close()
