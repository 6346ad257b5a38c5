"""The developer API for generations and uploads, as a client sees it over HTTP."""

from __future__ import annotations

import asyncio
import io
import socket
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from dreampixel.core.db import uow
from dreampixel.core.models import ImageType, Tier, utcnow
from dreampixel.core.settings import settings
from services.images.parameters import read_parameters
from tests.fixtures.api import new_key
from tests.fixtures.engine import images_of

PROBLEM = "application/problem+json"


@dataclass
class Client:
    http: httpx.AsyncClient
    key: str
    user_id: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"x-api-key": self.key, **extra}

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.headers(**kwargs.pop("headers", {}))
        return await self.http.post(path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.headers(**kwargs.pop("headers", {})), **kwargs)






@pytest.fixture
async def client(api: httpx.AsyncClient) -> Client:
    key, user_id = await asyncio.to_thread(new_key)
    return Client(api, key, user_id)


async def settle(api: httpx.AsyncClient) -> None:
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]


def png(width: int = 320, height: int = 240, colour: tuple[int, int, int] = (200, 60, 90)) -> bytes:
    rng = np.random.default_rng(sum(colour))
    pixels = np.clip(np.array(colour) + rng.normal(0, 20, (height, width, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


async def test_submit_poll_and_download_a_png_that_carries_its_parameters(client: Client) -> None:
    created = await client.post("/api/v1/generations", json={
        "prompt": "a lighthouse on a cliff at sunset", "width": 512, "height": 512, "seed": 1234})
    assert created.status_code == 202, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/generations/{body['id']}"
    assert body["object"] == "generation" and body["id"].startswith("gen_")
    # The in-process worker may already have picked it up by the time the answer is written.
    assert body["status"] in ("queued", "processing") and body["seed"] == 1234
    assert body["cost"] == {"credits_held": 1, "credits_charged": 0, "credits_refunded": 0}
    assert created.headers["x-request-id"]

    await settle(client.http)
    polled = (await client.get(f"/api/v1/generations/{body['id']}")).json()
    assert polled["status"] == "succeeded" and polled["provider"]["used"] == "local"
    assert polled["cost"]["credits_charged"] == 1 and polled["error"] is None
    [output] = polled["outputs"]
    assert (output["width"], output["height"], output["content_type"]) == (512, 512, "image/png")

    download = await client.http.get(output["url"])
    assert download.status_code == 200 and download.headers["content-type"] == "image/png"
    assert download.headers["cache-control"].startswith("private, ")
    params = read_parameters(download.content)
    assert params is not None and params["prompt"] == "a lighthouse on a cliff at sunset" and params["seed"] == 1234
    thumbnail = await client.http.get(output["thumbnail_url"])
    assert thumbnail.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(thumbnail.content)).size == (256, 256)


async def test_a_queued_generation_shows_its_place_in_the_queue(client: Client) -> None:
    from services.jobs import service as jobs

    queue = jobs.uninstall()  # no worker: everything waits
    try:
        ids = [(await client.post("/api/v1/generations", json={"prompt": f"p{i}"})).json()["id"] for i in range(2)]
    finally:
        jobs.install(queue)  # type: ignore[arg-type]
    second = (await client.get(f"/api/v1/generations/{ids[1]}")).json()
    assert second["status"] == "queued"
    assert second["queue"]["position"] == 2 and second["queue"]["estimated_start_at"]


async def test_bearer_authorization_works_like_x_api_key(client: Client) -> None:
    response = await client.http.get("/api/v1/generations", headers={"Authorization": f"Bearer {client.key}"})
    assert response.status_code == 200 and response.json() == {"object": "list", "data": [],
                                                                "next_cursor": None, "has_more": False}


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "dp_live_not-a-real-key"}, {"Authorization": "Basic x"}])
async def test_requests_without_a_valid_key_get_401_problem(api: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await api.get("/api/v1/generations", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["code"] == "invalid_api_key" and problem["request_id"] == response.headers["x-request-id"]


async def test_a_revoked_key_stops_working_at_once(client: Client) -> None:
    assert (await client.get("/api/v1/generations")).status_code == 200

    def revoke() -> None:
        from sqlmodel import select

        from dreampixel.core.models import ApiKey

        with uow() as session:
            key = session.exec(select(ApiKey).where(ApiKey.user_id == client.user_id)).one()
            key.revoked_at = utcnow()
            session.add(key)

    await asyncio.to_thread(revoke)
    assert (await client.get("/api/v1/generations")).status_code == 401


async def test_a_key_without_the_scope_is_refused(api: httpx.AsyncClient) -> None:
    key, _ = await asyncio.to_thread(new_key, scopes=("generations:read",))
    response = await api.post("/api/v1/generations", headers={"x-api-key": key}, json={"prompt": "a cat"})
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


async def test_prefer_wait_returns_the_finished_generation(client: Client) -> None:
    response = await client.post("/api/v1/generations", headers={"Prefer": "wait=20"},
                                 json={"prompt": "a forest at dawn", "width": 256, "height": 256})
    assert response.status_code == 201, response.text
    assert response.headers["preference-applied"] == "wait=20"
    assert response.json()["status"] == "succeeded" and response.json()["outputs"]


async def test_the_same_idempotency_key_and_body_replays_the_first_answer(client: Client) -> None:
    body = {"prompt": "a paper boat", "width": 256, "height": 256}
    first = await client.post("/api/v1/generations", headers={"Idempotency-Key": "order-17"}, json=body)
    again = await client.post("/api/v1/generations", headers={"Idempotency-Key": "order-17"}, json=body)
    assert first.status_code == again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    listed = (await client.get("/api/v1/generations")).json()["data"]
    assert len(listed) == 1, "one generation, held and charged once"


async def test_the_same_idempotency_key_with_another_body_is_422(client: Client) -> None:
    await client.post("/api/v1/generations", headers={"Idempotency-Key": "k1"}, json={"prompt": "one"})
    other = await client.post("/api/v1/generations", headers={"Idempotency-Key": "k1"}, json={"prompt": "two"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_double_submit_in_flight_gets_409_or_the_replay(client: Client) -> None:
    body = {"prompt": "twins", "width": 256, "height": 256}
    responses = await asyncio.gather(*(client.post("/api/v1/generations", headers={"Idempotency-Key": "dbl"},
                                                   json=body) for _ in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(202) >= 1 and set(statuses) <= {202, 409}
    ids = {r.json()["id"] for r in responses if r.status_code == 202}
    assert len(ids) == 1
    assert len((await client.get("/api/v1/generations")).json()["data"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "a cat", "width": 100}, "width"),
        ({"prompt": "a cat", "num_variations": 9}, "num_variations"),
        ({"prompt": "a cat", "format": "gif"}, "format"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "x" * 5000}, "prompt"),
        ({"prompt": "a cat", "surprise": 1}, "surprise"),
    ],
)
async def test_invalid_input_is_a_422_naming_the_field(client: Client, body: dict[str, Any], field: str) -> None:
    response = await client.post("/api/v1/generations", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert field in {error["field"].split(".")[-1] for error in problem["errors"]}


async def test_malformed_json_is_a_400(client: Client) -> None:
    response = await client.post("/api/v1/generations", content=b'{"prompt": "a cat",',
                                 headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


async def test_out_of_credits_is_a_402(api: httpx.AsyncClient) -> None:
    key, _ = await asyncio.to_thread(new_key, credits_=0)
    response = await api.post("/api/v1/generations", headers={"x-api-key": key}, json={"prompt": "a cat"})
    assert response.status_code == 402 and response.json()["code"] == "insufficient_credits"


async def test_the_daily_limit_is_a_429_with_retry_after(api: httpx.AsyncClient) -> None:
    key, _ = await asyncio.to_thread(new_key, tier=Tier.FREE)
    first = await api.post("/api/v1/generations", headers={"x-api-key": key}, json={"prompt": "one"})
    second = await api.post("/api/v1/generations", headers={"x-api-key": key}, json={"prompt": "two"})
    assert first.status_code == 202
    assert second.status_code == 429 and second.json()["code"] == "daily_limit_reached"
    assert int(second.headers["retry-after"]) > 0 and second.json()["resets_at"]


async def test_a_blocked_prompt_is_explained(client: Client) -> None:
    response = await client.post("/api/v1/generations", json={"prompt": "a beheading"})
    assert response.status_code == 422 and response.json()["code"] == "prompt_blocked"
    assert "graphic violence" in response.json()["detail"]


async def test_another_users_generation_is_a_404(api: httpx.AsyncClient, client: Client) -> None:
    mine = (await client.post("/api/v1/generations", json={"prompt": "mine", "width": 256, "height": 256})).json()
    other_key, _ = await asyncio.to_thread(new_key)
    for method, path in [("GET", f"/api/v1/generations/{mine['id']}"),
                         ("POST", f"/api/v1/generations/{mine['id']}/cancel"),
                         ("POST", f"/api/v1/generations/{mine['id']}/retry"),
                         ("GET", f"/api/v1/generations/{mine['id']}/events")]:
        response = await api.request(method, path, headers={"x-api-key": other_key})
        assert response.status_code == 404, (method, path)
    assert (await api.get("/api/v1/generations", headers={"x-api-key": other_key})).json()["data"] == []


async def test_cancel_through_the_api(client: Client) -> None:
    queue = client.http.queue  # type: ignore[attr-defined]
    from services.jobs import service as jobs

    jobs.uninstall()  # keep it queued
    try:
        created = (await client.post("/api/v1/generations", json={"prompt": "wait for me"})).json()
    finally:
        jobs.install(queue)
    canceled = await client.post(f"/api/v1/generations/{created['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert canceled.json()["cost"]["credits_refunded"] == 1
    again = await client.post(f"/api/v1/generations/{created['id']}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "not_cancelable"


async def test_listing_is_newest_first_and_cursor_paginated(client: Client) -> None:
    ids = [(await client.post("/api/v1/generations", json={"prompt": f"n{i}", "width": 256, "height": 256}))
           .json()["id"] for i in range(5)]
    first = (await client.get("/api/v1/generations", params={"limit": 2})).json()
    second = (await client.get("/api/v1/generations", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await client.get("/api/v1/generations", params={"limit": 2, "cursor": second["next_cursor"]})).json()
    seen = [g["id"] for page in (first, second, third) for g in page["data"]]
    assert seen == list(reversed(ids))
    assert third["has_more"] is False and third["next_cursor"] is None


async def test_server_sent_events_follow_a_generation_to_the_end(client: Client) -> None:
    created = (await client.post("/api/v1/generations", json={"prompt": "stream me", "width": 256,
                                                              "height": 256})).json()
    kinds = []
    async with client.http.stream("GET", f"/api/v1/generations/{created['id']}/events",
                                  headers=client.headers()) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                kinds.append(line.removeprefix("event: "))
                if kinds[-1] == "generation.succeeded":
                    break
    assert kinds[-1] == "generation.succeeded"


async def test_estimate_spends_nothing(client: Client) -> None:
    response = await client.post("/api/v1/generations/estimate",
                                 json={"prompt": "big", "width": 2048, "height": 2048, "num_variations": 2})
    assert response.status_code == 200 and response.json()["credits"] == 4
    assert response.json()["balance"] == 20


async def test_an_upload_is_stored_once_and_usable_as_a_reference(client: Client) -> None:
    data = png(colour=(30, 200, 60))
    first = await client.post("/api/v1/uploads", files={"file": ("ref.png", data, "image/png")})
    again = await client.post("/api/v1/uploads", files={"file": ("copy.png", data, "image/png")})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"], "the same bytes are stored once"
    image = first.json()
    assert (image["width"], image["height"], image["type"]) == (320, 240, "reference")
    assert (await client.get(f"/api/v1/images/{image['id']}")).json()["sha256"] == image["sha256"]

    created = await client.post("/api/v1/generations", json={"prompt": "a meadow", "width": 256, "height": 256,
                                                             "reference_image_id": image["id"]})
    assert created.status_code == 202 and created.json()["input"]["reference_image_id"] == image["id"]
    await settle(client.http)
    assert (await client.get(f"/api/v1/generations/{created.json()['id']}")).json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"this is a text file named like an image", 415, "unsupported_image_type"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 415, "unsupported_image_type"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, 422, "invalid_image"),
    ],
)
async def test_bad_uploads_are_refused_with_a_clear_code(client: Client, payload: bytes, status: int,
                                                         code: str) -> None:
    response = await client.post("/api/v1/uploads", files={"file": ("cat.png", payload, "image/png")})
    assert response.status_code == status and response.json()["code"] == code


async def test_an_oversized_upload_is_a_413(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_image_size", 10_000)
    response = await client.post("/api/v1/uploads", files={"file": ("big.png", png(400, 400), "image/png")})
    assert response.status_code == 413 and response.json()["code"] == "image_too_large"


async def test_a_reference_url_to_loopback_is_refused_and_nothing_connects(client: Client) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        upload = await client.post("/api/v1/uploads", json={"url": f"http://127.0.0.1:{port}/a.png"})
        generation = await client.post("/api/v1/generations", json={
            "prompt": "a cat", "reference_image_url": f"http://localhost:{port}/a.png"})
        assert upload.status_code == generation.status_code == 422
        assert upload.json()["code"] == generation.json()["code"] == "unsafe_url"
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    assert (await client.get("/api/v1/generations")).json()["data"] == [], "nothing was queued or held"


async def test_provider_health_reports_each_provider(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/health/providers")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and "local" in body["available"]
    assert body["providers"]["local"]["configured"] is True
    assert body["providers"]["stability"]["configured"] is False


async def test_a_dropped_database_connection_is_a_503_and_the_next_request_works(client: Client,
                                                                                   live_db: Engine) -> None:
    assert (await client.get("/api/v1/generations")).status_code == 200  # the pool now holds a connection
    outsider = create_engine(live_db.url, poolclass=NullPool)  # not one of the pool's own connections
    with outsider.connect() as admin:
        # What a PostgreSQL restart does to every connection the pool is holding.
        admin.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    outsider.dispose()
    refused = await client.get("/api/v1/generations")
    assert refused.status_code == 503 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "database_unavailable" and refused.headers["retry-after"] == "1"
    assert (await client.get("/api/v1/generations")).status_code == 200


async def test_an_image_downloads_in_each_format_and_only_for_its_owner(client: Client) -> None:
    created = await client.post("/api/v1/generations", json={
        "prompt": "a red kite over dunes", "width": 512, "height": 512, "seed": 77, "format": "webp"})
    await settle(client.http)
    [output] = (await client.get(f"/api/v1/generations/{created.json()['id']}")).json()["outputs"]
    path = f"/api/v1/images/{output['image_id']}/download"

    for fmt, content_type, pil_format in (("png", "image/png", "PNG"), ("jpeg", "image/jpeg", "JPEG"),
                                          ("webp", "image/webp", "WEBP")):
        response = await client.get(path, params={"format": fmt})
        assert response.status_code == 200 and response.headers["content-type"] == content_type
        assert response.headers["content-disposition"].startswith("attachment; filename=\"dreampixel-")
        with Image.open(io.BytesIO(response.content)) as image:
            assert (image.format, image.size) == (pil_format, (512, 512))
    # The PNG made from a WebP original still carries the recipe, so dropping it restores it.
    png = await client.get(path, params={"format": "png"})
    params = read_parameters(png.content)
    assert params is not None and params["prompt"] == "a red kite over dunes" and params["seed"] == 77

    refused = await client.get(path, params={"format": "gif"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "format"
    stranger_key, _ = await asyncio.to_thread(new_key)
    stranger = await client.http.get(path, headers={"x-api-key": stranger_key})
    assert stranger.status_code == 404
    thumbnail = next(i for i in images_of(created.json()["id"]) if i.type is ImageType.THUMBNAIL)
    assert (await client.get(f"/api/v1/images/{thumbnail.id}/download")).status_code == 404  # full images only
