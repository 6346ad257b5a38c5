"""The original Dream Pixel API as its README's clients call it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.test_api_generations import settle
from tests.fixtures.api import new_key

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def key(api: httpx.AsyncClient) -> str:
    plaintext, _user_id = await asyncio.to_thread(new_key)
    return plaintext


async def test_the_original_walk_through_submit_poll_download(api: httpx.AsyncClient, key: str) -> None:
    submitted = await api.post("/api/generations", headers={"x-api-key": key}, json={
        "prompt": "A serene lake at sunset", "negativePrompt": "blurry", "seed": 42,
        "settings": {"width": 512, "height": 512, "guidance_scale": 7.5, "steps": 30, "num_variations": 1,
                     "format": "png"},
        "provider": "local",
    })
    assert submitted.status_code == 202
    job = submitted.json()
    assert job["status"] == "PENDING" and job["jobId"].startswith("gen_")
    assert job["creditsUsed"] == 1 and job["creditsRemaining"] == 19
    assert {"estimatedProcessingTime", "createdAt"} <= job.keys()
    await settle(api)

    polled = await api.get(f"/api/generations/{job['jobId']}", headers={"Authorization": f"Bearer {key}"})
    generation = polled.json()["generation"]
    assert generation["status"] == "SUCCEEDED" and generation["prompt"] == "A serene lake at sunset"
    assert generation["provider"] == "local" and generation["completedAt"]
    assert isinstance(generation["processingTimeMs"], int)
    image = await api.get(generation["resultImageUrl"])
    assert image.status_code == 200 and image.content.startswith(PNG_MAGIC)


async def test_the_original_list_is_paged_by_number(api: httpx.AsyncClient, key: str) -> None:
    ids = [(await api.post("/api/generations", headers={"x-api-key": key},
                           json={"prompt": f"p{i}", "settings": {"width": 256, "height": 256}})).json()["jobId"]
           for i in range(3)]
    second = (await api.get("/api/generations", params={"page": 2, "limit": 2}, headers={"x-api-key": key})).json()
    assert [g["id"] for g in second["generations"]] == [ids[0]]
    assert second["pagination"] == {"page": 2, "limit": 2, "total": 3, "totalPages": 2}


async def test_another_users_job_is_a_404(api: httpx.AsyncClient, key: str) -> None:
    job = (await api.post("/api/generations", headers={"x-api-key": key}, json={"prompt": "mine"})).json()
    other, _ = await asyncio.to_thread(new_key)
    assert (await api.get(f"/api/generations/{job['jobId']}", headers={"x-api-key": other})).status_code == 404


async def test_an_original_request_without_a_key_is_a_problem_401(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/generations", json={"prompt": "anon"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_original_provider_health_has_its_shape_and_no_account_detail(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/api/health/providers")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "healthy"
    assert body["providers"]["local"]["healthy"] is True and body["providers"]["local"]["lastCheck"]
    assert body["configured"]["local"] is True and body["configured"]["stability"] is False
    assert set(body["providers"]["stability"]) == {"name", "healthy", "status", "lastCheck"}
    assert "detail" not in response.text and "offline procedural" not in response.text
