"""Serving this process's Prometheus metrics (see dreampixel/core/metrics.py) and the queue reading behind them."""

from __future__ import annotations

from dreampixel.core import metrics
from dreampixel.core.db import uow
from dreampixel.core.models import utcnow
from dreampixel.core.settings import settings
from services.admin import repository

# Several workers on one host each take the first free port after METRICS_BIND's.
WORKER_PORTS = 32


def queue_snapshot() -> tuple[int, float | None]:
    """Generations waiting, and the age in seconds of the oldest of them (None when none waits)."""
    with uow() as session:
        depth, oldest = repository.queue_depth(session)
    return depth, (utcnow() - oldest).total_seconds() if oldest is not None else None


def serve_app_metrics() -> metrics.MetricsServer | None:
    """The app backend's metrics on METRICS_BIND (nothing when it is empty)."""
    return metrics.serve(settings.metrics_bind, queue_reader=queue_snapshot)


def serve_worker_metrics() -> metrics.MetricsServer | None:
    """A worker's metrics on WORKER_METRICS_BIND, else on the first free port after METRICS_BIND's."""
    if settings.worker_metrics_bind.strip():
        return metrics.serve(settings.worker_metrics_bind, queue_reader=queue_snapshot)
    if not settings.metrics_bind.strip():
        return None
    host, port = metrics.parse_bind(settings.metrics_bind)
    return metrics.serve(f"{host}:{port + 1}", queue_reader=queue_snapshot, tries=WORKER_PORTS)
