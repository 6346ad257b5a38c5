"""What every job finds in `ctx`, whether it runs under arq or in the app's process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import structlog

from dreampixel.core.logging import configure_logging

log = structlog.get_logger(__name__)


async def open_shared(ctx: dict[str, Any]) -> None:
    """Put the clients jobs share into `ctx`."""
    ctx["http"] = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=False)


async def close_shared(ctx: dict[str, Any]) -> None:
    http = ctx.pop("http", None)
    if http is not None:
        await http.aclose()


async def on_startup(ctx: dict[str, Any]) -> None:
    """arq start-up: logging, shared clients, and a queue so jobs can enqueue jobs."""
    from services import jobs
    from services.images import pool

    configure_logging()
    await open_shared(ctx)
    pool.start()  # one process per core for the image pipeline
    jobs.install(jobs.ArqQueue(ctx["redis"], asyncio.get_running_loop()))
    log.info("worker.started")


async def on_shutdown(ctx: dict[str, Any]) -> None:
    from services import jobs
    from services.images import pool

    jobs.uninstall()
    pool.shutdown()
    await close_shared(ctx)
    log.info("worker.stopped")
