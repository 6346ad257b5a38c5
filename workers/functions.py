"""Every job, by the name it is enqueued under. The arq worker and the in-process queue share it."""

from __future__ import annotations

from services.jobs.queue import JobFunction
from workers import billing, email, generation, maintenance, webhooks

FUNCTIONS: dict[str, JobFunction] = {
    "generation.run": generation.run,
    "email.send": email.send,
    "maintenance.reap": maintenance.reap,
    "billing.handle_event": billing.handle_event,
    "billing.copy_invoice_pdf": billing.copy_invoice_pdf,
    "billing.redispatch_events": billing.redispatch_events,
    "billing.renew_allowances": billing.renew_allowances,
    "maintenance.heartbeat": maintenance.heartbeat,
    "webhooks.deliver": webhooks.deliver,
    "webhooks.sweep": webhooks.sweep,
}
