"""The arq worker's start-up and shutdown: logging, the pipeline pool, the job queue."""

from __future__ import annotations

import asyncio
from typing import Any

from dreampixel.core.logging import configure_logging, get_logger

log = get_logger(__name__)


async def on_startup(ctx: dict[str, Any]) -> None:
    """arq start-up: logging, the pipeline pool, and a queue so jobs can enqueue jobs."""
    from services.admin import error_log
    from services.images import pool
    from services.jobs import service as jobs
    from services.jobs.queue import ArqQueue

    configure_logging()
    pool.start()  # one process per core for the image pipeline
    jobs.install(ArqQueue(ctx["redis"], asyncio.get_running_loop()))
    ctx["worker_kind"] = "arq"
    error_log.install()  # errors captured here reach open admin pages too
    log.info("worker.started")


async def on_shutdown(ctx: dict[str, Any]) -> None:
    from services.images import pool
    from services.jobs import service as jobs

    jobs.uninstall()
    pool.shutdown()
    log.info("worker.stopped")
