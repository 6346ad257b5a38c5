"""Enqueueing jobs: only after the unit of work commits, dropped if it rolls back.

The edge that owns the event loop (the app at start-up, the worker, the CLI) installs a
queue with `install()`. Services call `enqueue_after_commit(session, "generation.run", id)`;
the job is sent when the session commits, from whichever thread committed it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from sqlmodel import Session

from dreampixel.core.db import after_commit
from dreampixel.core.logging import get_logger
from services.jobs.queue import JobQueue

log = get_logger(__name__)

_queue: JobQueue | None = None
_background: set[asyncio.Task[Any]] = set()


def install(queue: JobQueue) -> None:
    global _queue
    _queue = queue


def uninstall() -> JobQueue | None:
    global _queue
    queue, _queue = _queue, None
    return queue


def get_queue() -> JobQueue | None:
    return _queue


def enqueue_after_commit(
    session: Session, function: str, *args: Any, job_id: str | None = None, defer_by: float | None = None
) -> None:
    """Send the job once `session` commits; nothing is sent if it rolls back."""
    after_commit(session, lambda: dispatch(function, *args, job_id=job_id, defer_by=defer_by))


def dispatch(function: str, *args: Any, job_id: str | None = None, defer_by: float | None = None) -> None:
    """Hand a job to the installed queue from any thread, without blocking its event loop."""
    queue = _queue
    if queue is None:
        # The database row stays queued; the reaper or start-up recovery sends it later.
        log.warning("job.no_queue", function=function, job_id=job_id)
        return
    coro = queue.enqueue(function, *args, job_id=job_id, defer_by=defer_by)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is queue.loop:
        task = running.create_task(coro)
        _background.add(task)
        task.add_done_callback(_finished)
        return
    future = asyncio.run_coroutine_threadsafe(coro, queue.loop)
    try:
        future.result(timeout=10)
    except concurrent.futures.TimeoutError:
        log.error("job.enqueue_timeout", function=function, job_id=job_id)
    except Exception:
        log.exception("job.enqueue_failed", function=function, job_id=job_id)


def _finished(task: asyncio.Task[Any]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("job.enqueue_failed", error=repr(task.exception()))
