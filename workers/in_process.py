"""Run the worker's job functions on the app's own event loop when there is no Redis."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from dreampixel.core.logging import get_logger
from services.jobs import service as jobs
from services.jobs.queue import InProcessQueue
from workers.functions import FUNCTIONS
from workers.settings import JOB_TIMEOUT_SECONDS, MAX_JOBS

log = get_logger(__name__)

REAP_EVERY_SECONDS = 60
CLEANUP_EVERY_SECONDS = 3600
# The monthly allowances are checked at start and then hourly: cheap once granted.
RENEW_EVERY_SECONDS = 3600


async def start(*, reap_every: float | None = REAP_EVERY_SECONDS) -> InProcessQueue:
    """Install an in-process queue on the running loop and start the timer of the periodic jobs
    (the reaper, the monthly allowances, the hourly cleanup); `reap_every=None` starts no timer."""
    from dreampixel.core.models import utcnow
    from services.admin import system

    # Job contexts are copies of this one: what the heartbeat reports is fixed here.
    ctx: dict[str, Any] = {"worker_kind": "in-process", "worker_name": system.worker_name(),
                           "worker_started_at": utcnow()}
    queue = InProcessQueue(
        FUNCTIONS, ctx=ctx, max_jobs=MAX_JOBS, job_timeout=JOB_TIMEOUT_SECONDS, loop=asyncio.get_running_loop()
    )
    jobs.install(queue)
    if reap_every:
        ctx["reaper_task"] = asyncio.get_running_loop().create_task(_reap_forever(queue, reap_every))
    log.info("jobs.in_process_started", functions=sorted(FUNCTIONS))
    return queue


async def stop(queue: InProcessQueue) -> None:
    reaper_task = queue.ctx.pop("reaper_task", None)
    if reaper_task is not None:
        reaper_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reaper_task
    if jobs.get_queue() is queue:
        jobs.uninstall()
    await queue.close()


async def _reap_forever(queue: InProcessQueue, every: float) -> None:
    renewed_at: float | None = None
    cleaned_at: float | None = None
    while True:
        await queue.enqueue("maintenance.reap", job_id="maintenance.reap")
        await queue.enqueue("billing.redispatch_events", job_id="billing.redispatch_events")
        await queue.enqueue("webhooks.sweep", job_id="webhooks.sweep")
        if renewed_at is None or time.monotonic() - renewed_at >= RENEW_EVERY_SECONDS:
            await queue.enqueue("billing.renew_allowances", job_id="billing.renew_allowances")
            renewed_at = time.monotonic()
        if cleaned_at is None or time.monotonic() - cleaned_at >= CLEANUP_EVERY_SECONDS:
            await queue.enqueue("maintenance.cleanup", job_id="maintenance.cleanup")
            cleaned_at = time.monotonic()
        await queue.enqueue("maintenance.heartbeat", job_id="maintenance.heartbeat")
        await asyncio.sleep(every)
