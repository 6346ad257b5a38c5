"""The API shell: health, request ids and problem+json errors, through the real ASGI stack."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import create_engine

from dreampixel.api.app import API_PREFIX, create_api, create_api_app
from dreampixel.core import db
from dreampixel.core.errors import DreamPixelError
from dreampixel.core.settings import settings

PROBLEM_JSON = "application/problem+json"


class _Echo(BaseModel):
    prompt: str
    steps: int


_probe = APIRouter(prefix="/_probe")


@_probe.post("/echo")
async def _echo(body: _Echo) -> dict[str, object]:
    return body.model_dump()


@_probe.get("/crash")
async def _crash() -> None:
    raise RuntimeError("postgresql://admin:hunter2@db/internal exploded")


@_probe.get("/payment")
async def _payment() -> None:
    raise DreamPixelError(
        "You need 2 credits and have 1.",
        status_code=402,
        code="insufficient_credits",
        headers={"X-Credits-Remaining": "1"},
    )


@pytest.fixture(autouse=True)
def throwaway_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A SQLite database and storage directory of this test's own."""
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    monkeypatch.delitem(settings.__dict__, "data_path", raising=False)  # a cached_property
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'health.db'}")
    monkeypatch.setattr(db, "_engine", engine)
    monkeypatch.setattr(db, "_factory", None)
    yield
    engine.dispose()


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dreampixel.test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(create_api()) as c:
        yield c


@pytest.fixture
async def probe_client() -> AsyncIterator[httpx.AsyncClient]:
    """The product's /api app with a test-only router added."""
    api = create_api_app()
    api.include_router(_probe)
    outer = FastAPI()
    outer.mount(API_PREFIX, api)
    async with _client(outer) as c:
        yield c


async def test_health_is_200_with_the_database_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["backend"] == "sqlite"
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert body["checks"]["redis"]["configured"] is False
    assert body["checks"]["storage"]["ok"] is not False


async def test_health_is_503_degraded_when_the_database_is_down(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = create_engine(
        "postgresql+psycopg2://dp:dp@127.0.0.1:1/dreampixel", connect_args={"connect_timeout": 2}
    )
    monkeypatch.setattr(db, "_engine", unreachable)

    response = await client.get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is False
    assert "dp:dp" not in response.text


async def test_health_is_503_degraded_when_redis_is_configured_but_down(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "redis_url", "redis://127.0.0.1:1/0")

    response = await client.get("/api/health")

    assert response.status_code == 503
    # Anyone may call /api/health: the error text stays in the logs and `python -m dreampixel check`.
    assert response.json()["checks"]["redis"] == {"configured": True, "ok": False}
    assert response.json()["checks"]["database"]["ok"] is True


async def test_a_sane_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health", headers={"X-Request-Id": "client-42.retry_1"})

    assert response.headers["X-Request-Id"] == "client-42.retry_1"


async def test_a_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/health")
    second = await client.get("/api/health")

    assert first.headers["X-Request-Id"].startswith("req_")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


@pytest.mark.parametrize("insane", ["has spaces", "x" * 129, "semi;colon", "<script>"])
async def test_an_insane_request_id_is_replaced(client: httpx.AsyncClient, insane: str) -> None:
    response = await client.get("/api/health", headers={"X-Request-Id": insane})

    assert response.headers["X-Request-Id"] != insane
    assert response.headers["X-Request-Id"].startswith("req_")


async def test_each_request_logs_one_http_request_line_with_its_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await client.get("/api/health", headers={"X-Request-Id": "log-me"})

    lines = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "http.request"]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "log-me"
    assert lines[0]["method"] == "GET"
    assert lines[0]["path"] == "/api/health"
    assert lines[0]["status"] == 200
    assert lines[0]["duration_ms"] >= 0


async def test_an_unknown_api_route_is_a_problem_404_with_the_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/no-such-thing", headers={"X-Request-Id": "abc"})

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["request_id"] == "abc"
    assert {"type", "title", "detail"} <= body.keys()


async def test_malformed_json_is_a_problem_400(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/api/_probe/echo", content=b'{"prompt": "a cat", "steps":', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "malformed_json"
    assert response.json()["request_id"] == response.headers["X-Request-Id"]


async def test_invalid_fields_are_a_problem_422_listing_each_field(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/api/_probe/echo", json={"steps": "many"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {e["field"] for e in body["errors"]} == {"prompt", "steps"}
    assert all(e["message"] for e in body["errors"])


async def test_a_service_error_keeps_its_status_code_and_headers(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/api/_probe/payment")

    assert response.status_code == 402
    assert response.headers["X-Credits-Remaining"] == "1"
    assert response.json()["code"] == "insufficient_credits"
    assert response.json()["detail"] == "You need 2 credits and have 1."


async def test_an_unexpected_exception_is_a_problem_500_that_leaks_nothing(
    probe_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await probe_client.get("/api/_probe/crash", headers={"X-Request-Id": "boom-1"})

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "internal_error"
    assert response.json()["request_id"] == "boom-1"
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert any(r.exc_info for r in caplog.records), "the traceback is logged"


async def test_the_openapi_document_is_served_under_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")

    assert response.status_code == 200
    assert "/health" in response.json()["paths"]
    assert (await client.get("/api/docs")).status_code == 200
