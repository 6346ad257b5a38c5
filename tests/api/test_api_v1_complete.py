"""The parts of v1 every client relies on: metadata, deletion and a resumable event stream."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import uvicorn

from dreampixel.api.app import create_api
from dreampixel.api.v1 import generations as generation_routes
from services.jobs import service as jobs
from tests.api.test_api_generations import Client, settle
from tests.fixtures.api import new_key

SMALL = {"width": 256, "height": 256}


@pytest.fixture
async def client(api: httpx.AsyncClient) -> Client:
    key, user_id = await asyncio.to_thread(new_key)
    return Client(api, key, user_id)


@pytest.mark.parametrize("path", ["/api/v1/account/credits?cursor=led_%00", "/api/v1/seeds?q=a%00b",
                                  "/api/v1/generations/gen_%00", "/api/v1/webhook-endpoints?cursor=%00"])
async def test_a_nul_character_in_the_address_is_a_clear_400(client: Client, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 400 and answer.json()["code"] == "bad_request"
    assert "NUL" in answer.json()["detail"]


async def test_metadata_sent_with_a_generation_is_returned_on_it(client: Client) -> None:
    metadata = {"order": "A-17", "tags": ["red", "blue"], "nested": {"n": 1}}
    created = await client.post("/api/v1/generations", json={"prompt": "labelled", **SMALL, "metadata": metadata})
    assert created.status_code == 202 and created.json()["metadata"] == metadata
    assert (await client.get(f"/api/v1/generations/{created.json()['id']}")).json()["metadata"] == metadata


async def test_metadata_over_the_size_cap_is_refused_by_name(client: Client) -> None:
    response = await client.post("/api/v1/generations",
                                 json={"prompt": "too much", **SMALL, "metadata": {"blob": "x" * 17_000}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "metadata"


async def test_metadata_with_too_many_keys_is_refused(client: Client) -> None:
    response = await client.post("/api/v1/generations",
                                 json={"prompt": "many", **SMALL, "metadata": {f"k{i}": i for i in range(51)}})
    assert response.status_code == 422


async def test_a_deleted_generation_is_gone(client: Client) -> None:
    created = (await client.post("/api/v1/generations", json={"prompt": "delete me", **SMALL})).json()
    await settle(client.http)
    deleted = await client.http.delete(f"/api/v1/generations/{created['id']}", headers=client.headers())
    assert deleted.status_code == 200 and deleted.json() == {"id": created["id"], "object": "generation",
                                                              "deleted": True}
    assert (await client.get(f"/api/v1/generations/{created['id']}")).status_code == 404
    listed = (await client.get("/api/v1/generations")).json()["data"]
    assert created["id"] not in [g["id"] for g in listed]


async def test_deleting_a_queued_generation_releases_its_credits(client: Client) -> None:
    queue = client.http.queue  # type: ignore[attr-defined]
    jobs.uninstall()  # keep it queued
    try:
        created = (await client.post("/api/v1/generations", json={"prompt": "never run", **SMALL})).json()
    finally:
        jobs.install(queue)
    assert (await client.http.delete(f"/api/v1/generations/{created['id']}",
                                     headers=client.headers())).status_code == 200
    assert (await client.get("/api/v1/account")).json()["credit_balance"] == 20


async def test_another_users_generation_cannot_be_deleted(api: httpx.AsyncClient, client: Client) -> None:
    created = (await client.post("/api/v1/generations", json={"prompt": "mine", **SMALL})).json()
    other_key, _ = await asyncio.to_thread(new_key)
    response = await api.delete(f"/api/v1/generations/{created['id']}", headers={"x-api-key": other_key})
    assert response.status_code == 404
    assert (await client.get(f"/api/v1/generations/{created['id']}")).status_code == 200


async def _events(client: Client, generation_id: str, **headers: str) -> list[dict[str, str]]:
    """The stream's events (fields by name) and comments (under ':') until it ends."""
    found: list[dict[str, str]] = []
    current: dict[str, str] = {}
    async with client.http.stream("GET", f"/api/v1/generations/{generation_id}/events",
                                  headers=client.headers(**headers)) as stream:
        async for line in stream.aiter_lines():
            if not line:
                if current:
                    found.append(current)
                current = {}
                continue
            name, _, value = line.partition(":")
            current[name or ":"] = value.strip()
    return found


async def test_every_event_carries_an_id(client: Client) -> None:
    created = (await client.post("/api/v1/generations", json={"prompt": "stream", **SMALL})).json()
    await settle(client.http)
    (event,) = await _events(client, created["id"])
    assert event["event"] == "generation.succeeded" and event["id"]


async def test_resuming_with_the_last_event_id_does_not_repeat_the_state_seen(client: Client) -> None:
    created = (await client.post("/api/v1/generations", json={"prompt": "resume", **SMALL})).json()
    await settle(client.http)
    (seen,) = await _events(client, created["id"])
    assert await _events(client, created["id"], **{"Last-Event-ID": seen["id"]}) == []


async def test_resuming_with_an_older_event_id_sends_the_current_state(client: Client) -> None:
    queue = client.http.queue  # type: ignore[attr-defined]
    jobs.uninstall()
    try:
        created = (await client.post("/api/v1/generations", json={"prompt": "resume later", **SMALL})).json()
        await client.post(f"/api/v1/generations/{created['id']}/cancel")
    finally:
        jobs.install(queue)
    (event,) = await _events(client, created["id"], **{"Last-Event-ID": "0"})
    assert event["event"] == "generation.canceled"


async def test_a_quiet_stream_sends_heartbeat_comments(client: Client, monkeypatch: pytest.MonkeyPatch,
                                                      free_tcp_port: int) -> None:
    monkeypatch.setattr(generation_routes, "SSE_HEARTBEAT_SECONDS", 0.2)
    # httpx's ASGI transport waits for the whole body, so the endless stream is read over a socket.
    server = uvicorn.Server(uvicorn.Config(create_api(), host="127.0.0.1", port=free_tcp_port, log_config=None,
                                           lifespan="off"))
    serving = asyncio.create_task(server.serve())
    queue = client.http.queue  # type: ignore[attr-defined]
    jobs.uninstall()  # stays queued: nothing but heartbeats follows the first event
    try:
        created = (await client.post("/api/v1/generations", json={"prompt": "quiet", **SMALL})).json()
        while not server.started:
            await asyncio.sleep(0.01)
        lines: list[str] = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{free_tcp_port}", timeout=10) as http, \
                http.stream("GET", f"/api/v1/generations/{created['id']}/events", headers=client.headers()) as stream:
            async for line in stream.aiter_lines():
                lines.append(line)
                if sum(line.startswith(":") for line in lines) >= 2:
                    break
    finally:
        jobs.install(queue)
        server.should_exit = True
        await serving
    assert "event: generation.queued" in lines
    assert sum(line.startswith(":") for line in lines) >= 2
