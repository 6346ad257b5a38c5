"""Every job, by the name it is enqueued under. The arq worker and the in-process queue share it.

Each function is wrapped to time it (the job latency metric), to count what it ended in
(the jobs done and failed a worker reports with its heartbeat), and to run it again a few
seconds later when it failed because the database connection was lost or refused (a
PostgreSQL restart): arq does not run a job again that raised. Every job here is built to be
run again, as the reaper and the sweeps already do (a generation is claimed by a
compare-and-set on its row, a webhook delivery or a Stripe event is keyed by its row).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

from arq.worker import Retry

from dreampixel.core import metrics
from dreampixel.core.db import is_disconnect
from dreampixel.core.logging import get_logger
from services.jobs.queue import JobFunction
from workers import billing, email, generation, maintenance, webhooks

log = get_logger(__name__)

# The heartbeat reports the counts; counting itself would only say the clock ticks.
UNCOUNTED = frozenset({"maintenance.heartbeat"})
# Tries of a job the database keeps failing by its connection (arq's max_tries, 5, is the
# ceiling), and the wait before each next one: 2, 4, 8, 16 s, on top of the ~16 s each unit of
# work of a generation already rides out by itself (dreampixel.core.db.in_uow_reconnecting).
DATABASE_TRIES = 5


def database_retry_delay(job_try: int) -> float:
    return float(min(30, 2**job_try))


def measured(name: str, fn: JobFunction) -> JobFunction:
    """`fn`, timed into the job latency histogram and counted as done or failed."""

    @functools.wraps(fn)
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await fn(ctx, *args)
        except Retry:
            outcome = "retried"
            raise
        except asyncio.CancelledError:
            outcome = "canceled"
            raise
        except Exception as error:
            job_try = int(ctx.get("job_try") or 1)
            if not is_disconnect(error) or job_try >= DATABASE_TRIES:
                raise
            outcome = "retried"
            delay = database_retry_delay(job_try)
            log.warning("job.database_unreachable", job=name, job_id=ctx.get("job_id"), try_=job_try,
                        retry_in_s=delay, error=(str(error).strip().splitlines() or [type(error).__name__])[0][:200])
            raise Retry(defer=delay) from error
        else:
            outcome = "done"
            return result
        finally:
            metrics.JOB_LATENCY.labels(name, outcome).observe(time.perf_counter() - started)
            if name not in UNCOUNTED:
                if outcome == "done":
                    metrics.JOBS.done += 1
                elif outcome == "failed":
                    metrics.JOBS.failed += 1

    return run


_JOBS: dict[str, JobFunction] = {
    "generation.run": generation.run,
    "email.send": email.send,
    "maintenance.reap": maintenance.reap,
    "maintenance.cleanup": maintenance.cleanup,
    "billing.handle_event": billing.handle_event,
    "billing.copy_invoice_pdf": billing.copy_invoice_pdf,
    "billing.redispatch_events": billing.redispatch_events,
    "billing.renew_allowances": billing.renew_allowances,
    "maintenance.heartbeat": maintenance.heartbeat,
    "webhooks.deliver": webhooks.deliver,
    "webhooks.sweep": webhooks.sweep,
}
FUNCTIONS: dict[str, JobFunction] = {name: measured(name, fn) for name, fn in _JOBS.items()}
