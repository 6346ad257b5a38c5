"""The arq worker's settings, run by `python -m dreampixel worker` (see workers/worker.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from arq import cron, func
from arq.connections import RedisSettings

from dreampixel.core.settings import settings
from workers.context import on_shutdown, on_startup
from workers.functions import FUNCTIONS

# Chosen from bench/: arq's 0.5 s default poll delay caps a worker near 20 jobs/s for short
# jobs; 20 ms keeps Redis load negligible while queue latency stays under the 50 ms budget.
POLL_DELAY_SECONDS = 0.02
MAX_JOBS = 64
JOB_TIMEOUT_SECONDS = settings.generation_timeout_seconds + 60


def redis_settings() -> RedisSettings:
    return RedisSettings.from_dsn(settings.redis_url or "redis://127.0.0.1:6379/0")


class WorkerSettings:
    # generation.run keeps no result: its outcome is the generation row, and a kept result
    # would cost a Redis write per generation that nothing reads.
    functions: ClassVar[list[Any]] = [
        func(fn, name=name, keep_result=0 if name == "generation.run" else None) for name, fn in FUNCTIONS.items()
    ]
    cron_jobs: ClassVar[list[Any]] = [
        cron(FUNCTIONS["maintenance.reap"], name="cron:maintenance.reap", second={0}, run_at_startup=True),
        # Daily rather than on the 1st only, and at start-up: a worker down at midnight on the
        # 1st still grants the month's allowances. Runs after the first find nothing to do.
        cron(FUNCTIONS["billing.renew_allowances"], name="cron:billing.renew_allowances", hour={0}, minute={5},
             second={0}, run_at_startup=True),
        cron(FUNCTIONS["billing.redispatch_events"], name="cron:billing.redispatch_events", second={30}),
        # Runs in every worker process (unique=False): each one reports itself.
        cron(FUNCTIONS["maintenance.heartbeat"], name="cron:maintenance.heartbeat", second={15, 45},
             run_at_startup=True, unique=False),
        # Webhook deliveries a killed worker or a lost job left due are sent again.
        cron(FUNCTIONS["webhooks.sweep"], name="cron:webhooks.sweep", second={30}, run_at_startup=True),
        # Expired records, orphaned uploads and files of deleted generations, hourly (one worker
        # runs each tick: arq's cron jobs are unique across workers by default).
        cron(FUNCTIONS["maintenance.cleanup"], name="cron:maintenance.cleanup", minute={17}, second={0},
             run_at_startup=True),
    ]
    on_startup = on_startup
    on_shutdown = on_shutdown
    redis_settings = redis_settings()
    poll_delay = POLL_DELAY_SECONDS
    max_jobs = MAX_JOBS
    job_timeout = JOB_TIMEOUT_SECONDS
    max_tries = 5
    keep_result = 3600
    health_check_interval = 30
    # Cancel is a compare-and-set on the generation row that a running job observes; arq's
    # abort is unused, and allowing it costs a Redis transaction on every poll.
    allow_abort_jobs = False
