"""Prometheus metrics of this process, served on their own address (METRICS_BIND), never on the app's port.

Every process (each app backend, each worker) keeps its own registry and serves it itself;
Prometheus scrapes each of them and sums across processes in its queries. Nothing is shared
between processes, so there is no multiprocess directory to manage and a killed worker takes
only its own counters with it.

The queue gauges are read from the database when Prometheus scrapes (a reader is installed by
whoever starts the server), so they are the same from every process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from dreampixel.core.logging import get_logger

log = get_logger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # memory, CPU and open files of this process

HTTP_LATENCY = Histogram(
    "dreampixel_http_request_duration_seconds", "Time to answer an HTTP request under /api, by route template.",
    ["method", "route", "status"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
GENERATIONS = Counter(
    "dreampixel_generations_total", "Generation runs that ended, by the status they ended in and the provider that "
    "delivered (none when no provider did).", ["status", "provider"], registry=REGISTRY,
)
JOB_LATENCY = Histogram(
    "dreampixel_job_duration_seconds", "Time a job ran, by job function and outcome (done, failed, retried).",
    ["function", "outcome"], registry=REGISTRY,
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
WEBHOOK_DELIVERIES = Counter(
    "dreampixel_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"], registry=REGISTRY,
)
PROVIDER_ERRORS = Counter(
    "dreampixel_provider_errors_total", "Failed provider calls, by provider and error kind.", ["provider", "kind"],
    registry=REGISTRY,
)


@dataclass
class JobStats:
    """Jobs this process finished and jobs that ended in an error; reported with its heartbeat."""

    done: int = 0
    failed: int = 0


JOBS = JobStats()

QueueReader = Callable[[], tuple[int, float | None]]


class QueueCollector(Collector):
    """Queue depth and the age of the oldest queued generation, read when Prometheus scrapes."""

    def __init__(self, reader: QueueReader) -> None:
        self.reader = reader

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depth, oldest_age = self.reader()
        except Exception as error:  # a scrape during a database outage still returns the other metrics
            log.warning("metrics.queue_unreadable", error=repr(error))
            return
        yield GaugeMetricFamily("dreampixel_queue_depth", "Generations waiting in the queue.", value=depth)
        yield GaugeMetricFamily("dreampixel_queue_oldest_age_seconds",
                                "Age of the oldest queued generation (0 when none waits).", value=oldest_age or 0.0)


@dataclass
class MetricsServer:
    host: str
    port: int
    httpd: WSGIServer
    thread: threading.Thread

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


_queue_collector: QueueCollector | None = None


def parse_bind(bind: str) -> tuple[str, int]:
    """`host:port` (or `:port`, meaning loopback) as a pair; ValueError when it is not one."""
    host, _, port = bind.strip().rpartition(":")
    if not port.isdigit():
        raise ValueError(f"a metrics address is host:port, not {bind!r}")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def serve(bind: str, *, queue_reader: QueueReader | None = None, tries: int = 1) -> MetricsServer | None:
    """Serve this process's metrics on `bind`; with `tries` > 1 the next ports are tried when one is taken
    (several workers on one host). None when `bind` is empty or no port could be had."""
    global _queue_collector
    if not bind.strip():
        return None
    host, port = parse_bind(bind)
    if queue_reader is not None and _queue_collector is None:
        _queue_collector = QueueCollector(queue_reader)
        REGISTRY.register(_queue_collector)
    for candidate in range(port, port + max(1, tries)):
        try:
            httpd, thread = start_http_server(candidate, addr=host, registry=REGISTRY)
        except OSError:
            continue
        log.info("metrics.serving", address=f"http://{host}:{candidate}/metrics")
        return MetricsServer(host, candidate, httpd, thread)
    log.error("metrics.no_port", bind=bind, tries=tries)
    return None


class HttpMetricsMiddleware:
    """Time every HTTP request of the app it wraps, labelled by the route template (`/v1/generations/{id}`),
    so one label value stands for every id; paths no route matched share `unmatched`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_LATENCY.labels(scope.get("method", ""), route_template(scope), str(status)).observe(
                time.perf_counter() - started)


def route_template(scope: dict[str, Any]) -> str:
    """The request's path with each path parameter put back as `{name}`; `unmatched` when no route matched.

    Rebuilt from the path because a route included under a prefix keeps its own, shorter path.
    """
    # A mount (the /api app itself) is a route without an endpoint: only an endpoint's route matched.
    if getattr(scope.get("route"), "endpoint", None) is None:
        return "unmatched"
    path = str(scope.get("path", ""))
    params = {str(value): name for name, value in (scope.get("path_params") or {}).items() if str(value)}
    for value in sorted(params, key=len, reverse=True):
        path = path.replace(f"/{value}", f"/{{{params[value]}}}", 1)
    return path
