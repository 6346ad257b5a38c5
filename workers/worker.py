"""The arq worker Dream Pixel runs: arq's, minus a Redis round trip storm on every poll, and
riding out a Redis restart instead of exiting.

arq leaves a job's id in the queue until the job finishes, and every poll re-reads the head
of the queue and checks each id with WATCH, EXISTS and ZSCORE before skipping the ones
already running. With 64 jobs in flight and a 20 ms poll delay that is about ten thousand
Redis commands a second, spent by the worker and by Redis, for nothing. This worker skips,
without asking Redis, the ids it is running itself.

arq's main loop ends at the first Redis error of a poll, which ends the process. This worker
waits for Redis instead, polling again with a growing pause (up to 5 s); the Redis client
reconnects by itself on the next command. Jobs already running carry on meanwhile. After
REDIS_OUTAGE_SECONDS without Redis it gives up: it logs `worker.redis_unreachable_exiting`
and the process exits with status 1, for its supervisor (systemd, compose) to start again.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from arq.worker import Worker as ArqWorker
from arq.worker import get_kwargs
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dreampixel.core.logging import get_logger

log = get_logger(__name__)

# What a Redis restart raises: the connection reset or refused, or a reply that never came.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError, asyncio.TimeoutError)
REDIS_OUTAGE_SECONDS = 120.0
REDIS_MAX_PAUSE_SECONDS = 5.0


class Worker(ArqWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_down_since: float | None = None
        self._redis_failures = 0

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job_id in job_ids:
            if self._running_here(job_id.decode()):
                continue
            try:
                await super().start_jobs([job_id])
            except REDIS_DOWN:
                # arq took a slot of max_jobs for this id and gives it back on every way out
                # but a Redis error: give it back here, or each outage would shrink the worker.
                self.sem.release()
                raise

    @property
    def redis_unreachable_since(self) -> float | None:
        """`time.monotonic()` when a poll first failed to reach Redis, None while Redis answers."""
        return self._redis_down_since

    def _running_here(self, job_id: str) -> bool:
        task = self.tasks.get(job_id)
        return task is not None and not task.done()

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as error:
            await self._wait_for_redis(error)
            return
        if self._redis_down_since is not None:
            log.info("worker.redis_back", down_s=round(time.monotonic() - self._redis_down_since, 1))
            self._redis_down_since, self._redis_failures = None, 0

    async def _wait_for_redis(self, error: BaseException) -> None:
        now = time.monotonic()
        if self._redis_down_since is None:
            self._redis_down_since = now
        down = now - self._redis_down_since
        reason = f"{type(error).__name__}: {error}"
        if down >= REDIS_OUTAGE_SECONDS:
            log.error("worker.redis_unreachable_exiting", down_s=round(down, 1), error=reason,
                      detail="the worker exits with status 1; run it under a supervisor that starts it again")
            raise error
        self._redis_failures += 1
        pause = min(REDIS_MAX_PAUSE_SECONDS, 0.25 * 2 ** (self._redis_failures - 1))
        log.warning("worker.redis_unreachable", down_s=round(down, 1), retry_in_s=pause, error=reason,
                    jobs_running=sum(not task.done() for task in self.tasks.values()))
        await asyncio.sleep(pause)


def create_worker(settings_cls: Any, **overrides: Any) -> Worker:
    return Worker(**{**get_kwargs(settings_cls), **overrides})


def run_worker(settings_cls: Any, **overrides: Any) -> Worker:
    worker = create_worker(settings_cls, **overrides)
    worker.run()
    return worker
