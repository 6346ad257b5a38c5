"""Every job, by the name it is enqueued under. The arq worker and the in-process queue share it."""

from __future__ import annotations

from services.jobs.queue import JobFunction
from workers import billing, email, generation, maintenance, webhooks

FUNCTIONS: dict[str, JobFunction] = {
    "generation.run": generation.run,
    "email.send": email.send,
    "maintenance.reap": maintenance.reap,
    "billing.renew_allowances": billing.renew_allowances,
    "webhooks.deliver": webhooks.deliver,
    "webhooks.sweep": webhooks.sweep,
}
