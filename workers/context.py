"""The arq worker's start-up and shutdown: logging, the pipeline pool, the job queue, the metrics server."""

from __future__ import annotations

import asyncio
from typing import Any

from dreampixel.core.logging import configure_logging, get_logger

log = get_logger(__name__)


async def on_startup(ctx: dict[str, Any]) -> None:
    """arq start-up: logging, the pipeline pool, and a queue so jobs can enqueue jobs."""
    from dreampixel.core.models import utcnow
    from services.admin import error_log, system
    from services.images import pool
    from services.jobs import service as jobs
    from services.jobs.queue import ArqQueue
    from workers.metrics import serve_worker_metrics

    configure_logging()
    pool.start()  # one process per core for the image pipeline
    jobs.install(ArqQueue(ctx["redis"], asyncio.get_running_loop()))
    ctx["worker_kind"] = "arq"
    # Job contexts are copies of this one: what the heartbeat reports is fixed here.
    ctx["worker_name"] = system.worker_name()
    ctx["worker_started_at"] = utcnow()
    ctx["metrics_server"] = serve_worker_metrics()
    error_log.install()  # errors captured here reach open admin pages too
    log.info("worker.started")


async def on_shutdown(ctx: dict[str, Any]) -> None:
    from services.images import pool
    from services.jobs import service as jobs

    jobs.uninstall()
    pool.shutdown()
    server = ctx.pop("metrics_server", None)
    if server is not None:
        server.close()
    log.info("worker.stopped")
