"""Every job, by the name it is enqueued under. The arq worker and the in-process queue share it.

Each function is wrapped to time it (the job latency metric) and to count what it ended in
(the jobs done and failed a worker reports with its heartbeat).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

from arq.worker import Retry

from dreampixel.core import metrics
from services.jobs.queue import JobFunction
from workers import billing, email, generation, maintenance, webhooks

# The heartbeat reports the counts; counting itself would only say the clock ticks.
UNCOUNTED = frozenset({"maintenance.heartbeat"})


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
