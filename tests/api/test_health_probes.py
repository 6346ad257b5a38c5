"""`/api/health/live` and `/api/health/ready`: what a load balancer and an orchestrator ask."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine

from dreampixel.api.app import create_api
from dreampixel.core import db
from dreampixel.core.settings import settings
from services.storage import reset_storage_cache
from tests.fixtures.s3 import S3Server

UNREACHABLE_DATABASE = "postgresql+psycopg2://dp:hunter2@127.0.0.1:1/dreampixel"


@pytest.fixture(autouse=True)
def own_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    monkeypatch.delitem(settings.__dict__, "data_path", raising=False)
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'probes.db'}")
    monkeypatch.setattr(db, "_engine", engine)
    monkeypatch.setattr(db, "_factory", None)
    reset_storage_cache()
    yield
    reset_storage_cache()
    engine.dispose()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://dreampixel.test") as c:
        yield c


def _database_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "_engine", create_engine(UNREACHABLE_DATABASE, connect_args={"connect_timeout": 2}))


async def test_live_answers_ok_even_with_the_database_down(client: httpx.AsyncClient,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _database_down(monkeypatch)
    response = await client.get("/api/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_is_200_when_database_and_storage_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == []
    assert body["checks"]["database"]["ok"] is True and body["checks"]["storage"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is None, "Redis is not configured, so not needed"


async def test_ready_checks_redis_when_it_is_configured(client: httpx.AsyncClient, redis_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "redis_url", redis_url)
    response = await client.get("/api/health/ready")
    assert response.status_code == 200 and response.json()["checks"]["redis"]["ok"] is True


async def test_ready_is_503_naming_the_database_without_its_details(client: httpx.AsyncClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _database_down(monkeypatch)
    response = await client.get("/api/health/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["failed"] == ["database"]
    assert "hunter2" not in response.text and "detail" not in response.json()["checks"]["database"]


async def test_ready_is_503_naming_redis_when_it_is_configured_but_down(client: httpx.AsyncClient,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "redis_url", "redis://127.0.0.1:1/0")
    response = await client.get("/api/health/ready")
    assert response.status_code == 503 and response.json()["failed"] == ["redis"]
    assert response.json()["checks"]["redis"] == {"configured": True, "ok": False}


async def test_ready_is_503_naming_storage_when_the_bucket_is_gone(client: httpx.AsyncClient, s3_server: S3Server,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "s3_endpoint_url", s3_server.endpoint_url)
    monkeypatch.setattr(settings, "s3_access_key_id", s3_server.access_key)
    monkeypatch.setattr(settings, "s3_secret_access_key", SecretStr(s3_server.secret_key))
    monkeypatch.setattr(settings, "s3_bucket_images", "no-such-bucket-here")
    reset_storage_cache()
    response = await client.get("/api/health/ready")
    assert response.status_code == 503 and response.json()["failed"] == ["storage"]
    assert "no-such-bucket-here" not in response.text


async def test_the_full_health_report_stays_where_it_was(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200 and "providers" in response.json()["checks"]
