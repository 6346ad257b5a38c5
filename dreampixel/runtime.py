"""What runs beside the app for as long as it serves: the job queue, the pipeline pool, the metrics server.

With REDIS_URL, jobs go to Redis for arq workers; without it, the worker's own job functions
run on this process's event loop (and the reaper with them).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from dreampixel.cli import production_refusal
from dreampixel.core.db import uow
from dreampixel.core.logging import configure_logging, get_logger
from dreampixel.core.settings import settings, unknown_variables
from services.admin import error_log
from services.generation import reaper
from services.images import pool
from services.jobs import service as jobs
from services.jobs.queue import ArqQueue, JobQueue
from workers import in_process
from workers.metrics import serve_app_metrics

log = get_logger(__name__)


@contextlib.asynccontextmanager
async def jobs_lifespan() -> AsyncIterator[None]:
    configure_logging()
    error_log.install()  # captured errors reach open admin pages
    log.info("app.features", **settings.features())
    for name in unknown_variables():
        log.warning("settings.unknown_variable", name=name,
                    hint="No setting reads this name: a typo, or renamed (see .env.example).")
    # `reflex run` started without dreampixel.serve must refuse too.
    refusal = await asyncio.to_thread(production_refusal)
    if refusal:
        log.error("app.refused", reason=refusal)
        raise RuntimeError(f"refusing to start in production: {refusal}")
    metrics_server = serve_app_metrics()  # METRICS_BIND, never the app's own port
    try:
        async with _jobs():
            yield
    finally:
        if metrics_server is not None:
            metrics_server.close()


@contextlib.asynccontextmanager
async def _jobs() -> AsyncIterator[None]:
    if settings.redis_url:
        queue: JobQueue = await ArqQueue.connect(settings.redis_url)
        jobs.install(queue)
        try:
            yield
        finally:
            jobs.uninstall()
            await queue.close()
        return

    in_process_queue = await in_process.start()
    pool.start(use_threads=True)  # the app's own process: threads, no fork of a running server
    await asyncio.to_thread(_recover_queued)
    try:
        yield
    finally:
        await in_process.stop(in_process_queue)
        pool.shutdown()


def _recover_queued() -> None:
    """Jobs held in memory died with the last process: send them again for rows still queued."""
    with uow() as session:
        count = reaper.redispatch_queued(session, older_than=0)
    if count:
        log.info("jobs.recovered", generations=count)
