"""Prometheus metrics: served on their own address, never on the app's; what a request and a
generation leave in them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest

from dreampixel.core.settings import settings
from tests.fixtures.api import new_key
from tests.fixtures.processes import free_port
from workers.metrics import serve_app_metrics, serve_worker_metrics


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when it is absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ", 1)[0] if "{" not in line else
                                line[line.index("{"):line.rindex("}")]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def metrics_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = free_port()
    monkeypatch.setattr(settings, "metrics_bind", f"127.0.0.1:{port}")
    server = serve_app_metrics()
    assert server is not None
    yield f"http://127.0.0.1:{port}/metrics"
    server.close()


def scrape(url: str) -> str:
    return httpx.get(url, timeout=10).text


async def test_metrics_are_not_served_on_the_app_port(api: httpx.AsyncClient) -> None:
    response = await api.get("/metrics")
    assert response.status_code == 404 and "dreampixel_" not in response.text
    assert (await api.get("/api/metrics")).status_code == 404


def test_no_metrics_bind_serves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "metrics_bind", "")
    monkeypatch.setattr(settings, "worker_metrics_bind", "")
    assert serve_app_metrics() is None and serve_worker_metrics() is None


async def test_a_generation_and_its_requests_show_in_the_metrics(api: httpx.AsyncClient, metrics_server: str) -> None:
    before = scrape(metrics_server)
    key, _user_id = await asyncio.to_thread(new_key)
    created = await api.post("/api/v1/generations", headers={"x-api-key": key},
                             json={"prompt": "a lighthouse at dusk", "width": 256, "height": 256})
    assert created.status_code == 202
    generation_id = created.json()["id"]
    assert (await api.get(f"/api/v1/generations/{generation_id}", headers={"x-api-key": key})).status_code == 200
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]
    after = scrape(metrics_server)

    route = "/api/v1/generations/{generation_id}"
    assert sample(after, "dreampixel_http_request_duration_seconds_count", route=route, status="200",
                  method="GET") == 1 + sample(before, "dreampixel_http_request_duration_seconds_count", route=route,
                                              status="200", method="GET")
    assert generation_id not in after, "ids never become label values"
    generated = sample(after, "dreampixel_generations_total", status="succeeded", provider="local")
    assert generated == 1 + sample(before, "dreampixel_generations_total", status="succeeded", provider="local")
    assert sample(after, "dreampixel_job_duration_seconds_count", function="generation.run", outcome="done") >= 1
    assert "dreampixel_queue_depth 0.0" in after


async def test_an_unknown_path_is_one_label(api: httpx.AsyncClient, metrics_server: str) -> None:
    await api.get("/api/no/such/route/123")
    assert sample(scrape(metrics_server), "dreampixel_http_request_duration_seconds_count", route="unmatched",
                  status="404") >= 1


def test_processes_sharing_a_host_each_take_the_next_free_port_of_their_range(
        monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setattr(settings, "metrics_bind", f"127.0.0.1:{port}")
    monkeypatch.setattr(settings, "worker_metrics_bind", "")
    servers = [serve_app_metrics(), serve_app_metrics(), serve_worker_metrics(), serve_worker_metrics()]
    try:
        ports = [server.port if server else 0 for server in servers]
        # The next free one: usually port + 1, unless another program on this machine holds it.
        assert ports[0] == port and port < ports[1] < port + 32
        assert port + 100 <= ports[2] < ports[3] < port + 132
        assert "dreampixel_job_duration_seconds" in scrape(f"http://127.0.0.1:{ports[3]}/metrics")
    finally:
        for server in servers:
            if server is not None:
                server.close()
