"""Every API-key route of the OpenAPI document, walked: scopes are checked, other users' ids are 404."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from dreampixel.api.app import create_api_app
from dreampixel.core.db import uow
from dreampixel.core.models import Invoice
from dreampixel.core.settings import settings
from services.api_keys import service as api_keys
from tests.api.test_api_generations import png, settle
from tests.fixtures.api import new_key

# Routes anyone may call; every other route under these prefixes needs an API key.
PUBLIC = {"/v1/providers", "/v1/health/providers", "/health/providers"}
API_KEY_PREFIXES = ("/v1/", "/generations")


def api_key_operations() -> list[tuple[str, str]]:
    """(method, path template) of every API-key operation in the live app's OpenAPI document."""
    document: dict[str, Any] = create_api_app().openapi()
    return [(method.upper(), path) for path, operations in document["paths"].items()
            if path.startswith(API_KEY_PREFIXES) and path not in PUBLIC for method in operations]


OPERATIONS = api_key_operations()


def _fill(path: str, ids: dict[str, str]) -> str:
    return "/api" + re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def test_the_walk_covers_the_resources_of_api_md() -> None:
    assert {("DELETE", "/v1/generations/{generation_id}"), ("GET", "/v1/seeds/{seed_id}"),
            ("GET", "/generations/{job_id}"), ("GET", "/v1/account/usage")} <= set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
async def test_a_key_without_the_routes_scope_is_refused(api: httpx.AsyncClient, method: str, path: str) -> None:
    key, _ = await asyncio.to_thread(new_key, scopes=())
    ids = {name: "gen_00000000000000000000000000" for name in
           ("generation_id", "job_id", "image_id", "seed_id", "endpoint_id", "delivery_id", "invoice_id")}
    response = await api.request(method, _fill(path, ids), headers={"x-api-key": key}, json={"prompt": "x"})
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope", response.text


def _invoice_of(user_id: str) -> str:
    with uow() as session:
        invoice = Invoice(user_id=user_id, stripe_invoice_id=f"in_{user_id}", status="paid", amount_due=1900,
                          amount_paid=1900)
        session.add(invoice)
        session.flush()
        return invoice.id


async def test_every_resource_route_answers_404_for_another_users_ids(api: httpx.AsyncClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhooks_allow_loopback", True)  # the owner's endpoint listens on loopback
    owner_key, owner_id = await asyncio.to_thread(new_key, scopes=tuple(sorted(api_keys.SCOPES)))
    owner = {"x-api-key": owner_key}
    upload = (await api.post("/api/v1/uploads", headers=owner, files={"file": ("r.png", png(), "image/png")})).json()
    generation = (await api.post("/api/v1/generations", headers=owner,
                                 json={"prompt": "private", "width": 256, "height": 256})).json()
    await settle(api)
    done = (await api.get(f"/api/v1/generations/{generation['id']}", headers=owner)).json()
    endpoint = (await api.post("/api/v1/webhook-endpoints", headers=owner,
                               json={"url": "http://127.0.0.1:9/dreampixel"})).json()
    await api.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=owner)
    [delivery, *_] = (await api.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=owner)).json()["data"]
    owned = {"generation_id": generation["id"], "job_id": generation["id"],
             "image_id": done["outputs"][0]["image_id"], "endpoint_id": endpoint["id"],
             "delivery_id": delivery["id"], "invoice_id": await asyncio.to_thread(_invoice_of, owner_id)}
    intruder_key, _ = await asyncio.to_thread(new_key, scopes=tuple(sorted(api_keys.SCOPES)))
    checked = []
    for method, path in OPERATIONS:
        names = set(re.findall(r"\{(\w+)\}", path))
        if not names or names == {"seed_id"}:  # seeds are the marketplace's, public when approved
            continue
        for image_id in ({owned["image_id"], upload["id"]} if "image_id" in names else {owned["image_id"]}):
            url = _fill(path, {**owned, "image_id": image_id})
            body = {} if method in ("POST", "PATCH", "PUT") else None  # a valid (empty) change, so only ownership decides
            response = await api.request(method, url, headers={"x-api-key": intruder_key}, json=body)
            assert response.status_code == 404, (method, url, response.status_code)
            checked.append((method, path))
    assert len(checked) >= 16
    assert (await api.get(f"/api/v1/generations/{generation['id']}", headers=owner)).status_code == 200
