"""Where jobs go: Redis + arq when REDIS_URL is set, the app's own event loop otherwise.

Both run the same job functions (`workers.functions`), addressed by name, with the same
`ctx` shape arq gives (`ctx["job_try"]`, `ctx["job_id"]`, shared clients put there at start-up),
and both honour arq's `Retry(defer=...)` raised by a job.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol

from arq.worker import Retry

from dreampixel.core.logging import get_logger

log = get_logger(__name__)

# An `async def` job taking the worker context first, as arq calls it.
JobFunction = Callable[..., Coroutine[Any, Any, Any]]


class JobQueue(Protocol):
    name: str
    loop: asyncio.AbstractEventLoop

    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer_by: float | None = None
    ) -> bool: ...

    async def close(self) -> None: ...


class ArqQueue:
    """Jobs go to Redis; any number of `python -m dreampixel worker` processes run them."""

    name = "arq"

    def __init__(self, pool: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.pool = pool
        self.loop = loop

    @classmethod
    async def connect(cls, redis_url: str) -> ArqQueue:
        from arq import create_pool
        from arq.connections import RedisSettings

        pool = await create_pool(RedisSettings.from_dsn(redis_url))
        return cls(pool, asyncio.get_running_loop())

    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer_by: float | None = None
    ) -> bool:
        job = await self.pool.enqueue_job(function, *args, _job_id=job_id, _defer_by=defer_by)
        return job is not None

    async def close(self) -> None:
        await self.pool.aclose()


class InProcessQueue:
    """Runs jobs as tasks on the app's event loop: the zero-setup default.

    Like arq it refuses a second job with the id of one still pending or running, retries
    on `Retry` up to `max_tries`, bounds concurrency with `max_jobs` and gives each job a
    timeout. Jobs pending when the process stops are lost; the reaper and start-up recovery
    re-queue the database rows they were about.
    """

    name = "in-process"

    def __init__(
        self,
        functions: Mapping[str, JobFunction],
        *,
        ctx: dict[str, Any] | None = None,
        max_jobs: int = 50,
        max_tries: int = 5,
        job_timeout: float = 600,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.functions = dict(functions)
        self.ctx = ctx if ctx is not None else {}
        self.max_tries = max_tries
        self.job_timeout = job_timeout
        self.loop = loop or asyncio.get_event_loop()
        self._slots = asyncio.Semaphore(max_jobs)
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._counter = 0

    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer_by: float | None = None
    ) -> bool:
        if function not in self.functions:
            raise KeyError(f"no job function named {function!r}")
        if job_id is None:
            self._counter += 1
            job_id = f"{function}:{time.time_ns()}:{self._counter}"
        elif job_id in self._pending:
            return False
        task = self.loop.create_task(self._run(function, args, job_id, defer_by or 0.0))
        self._pending[job_id] = task
        task.add_done_callback(lambda _t: self._pending.pop(job_id, None))
        return True

    async def _run(self, function: str, args: tuple[Any, ...], job_id: str, delay: float) -> None:
        for attempt in range(1, self.max_tries + 1):
            if delay > 0:
                await asyncio.sleep(delay)
            ctx = {**self.ctx, "job_id": job_id, "job_try": attempt, "enqueue_time": time.time()}
            async with self._slots:
                try:
                    await asyncio.wait_for(self.functions[function](ctx, *args), self.job_timeout)
                    return
                except Retry as retry:  # the same exception arq's worker honours
                    delay = (retry.defer_score or 0) / 1000
                    log.info("job.retry", function=function, job_id=job_id, attempt=attempt, defer=delay)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("job.failed", function=function, job_id=job_id, attempt=attempt)
                    return
        log.warning("job.gave_up", function=function, job_id=job_id, tries=self.max_tries)

    async def join(self, timeout: float = 30) -> None:
        """Wait until no job is pending (tests and graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            await asyncio.wait(list(self._pending.values()), timeout=max(0.0, deadline - time.monotonic()))

    async def close(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        await asyncio.gather(*self._pending.values(), return_exceptions=True)


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """Exponential backoff with full jitter for the `attempt`-th retry (1-based)."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
