"""Serving this process's Prometheus metrics (see dreampixel/core/metrics.py) and the queue reading behind them.

Several processes of one kind may share a host and a setting: the app's backend runs one process
per worker of its server (Reflex starts several when Redis is configured), and a host may run
several arq workers. Each process takes the first free port of its range, so Prometheus scrapes
a small, fixed range per host:

- app backend processes: METRICS_BIND's port, then the next ones;
- arq workers: WORKER_METRICS_BIND's port and the next ones, or else METRICS_BIND's port + 100 and the next ones.
"""

from __future__ import annotations

from dreampixel.core import metrics
from dreampixel.core.db import uow
from dreampixel.core.models import utcnow
from dreampixel.core.settings import settings
from services.admin import repository

PORTS_PER_RANGE = 32
WORKER_PORT_OFFSET = 100


def queue_snapshot() -> tuple[int, float | None]:
    """Generations waiting, and the age in seconds of the oldest of them (None when none waits)."""
    with uow() as session:
        depth, oldest = repository.queue_depth(session)
    return depth, (utcnow() - oldest).total_seconds() if oldest is not None else None


def serve_app_metrics() -> metrics.MetricsServer | None:
    """An app backend process's metrics on the first free port from METRICS_BIND's (nothing when it is empty)."""
    return metrics.serve(settings.metrics_bind, queue_reader=queue_snapshot, tries=PORTS_PER_RANGE)


def serve_worker_metrics() -> metrics.MetricsServer | None:
    """A worker's metrics on the first free port from WORKER_METRICS_BIND's, else from METRICS_BIND's port + 100."""
    if settings.worker_metrics_bind.strip():
        return metrics.serve(settings.worker_metrics_bind, queue_reader=queue_snapshot, tries=PORTS_PER_RANGE)
    if not settings.metrics_bind.strip():
        return None
    host, port = metrics.parse_bind(settings.metrics_bind)
    return metrics.serve(f"{host}:{port + WORKER_PORT_OFFSET}", queue_reader=queue_snapshot, tries=PORTS_PER_RANGE)
