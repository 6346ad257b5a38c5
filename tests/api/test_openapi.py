"""The OpenAPI document at /api/openapi.json names a schema for every answer, and answers match it."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from dreampixel.core.db import uow
from dreampixel.core.models import User
from tests.factories import create_seed
from tests.fixtures.api import new_key

JSON = "application/json"
# What a schema's "type" says about a decoded JSON value (bool is not an integer here).
TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                      "boolean": (bool,), "object": (dict,), "array": (list,), "null": (type(None),)}


@pytest.fixture
async def document(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(method.upper(), path, status, answer)
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
            for status, answer in operation["responses"].items()]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def problems(document: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Where `value` breaks `schema`: the subset of JSON Schema that FastAPI and pydantic write.

    Stricter than JSON Schema in one way: an object may only carry the properties its schema lists
    (unless it allows additional ones), so a key the document forgot is caught.
    """
    schema = _resolve(document, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            if any(not problems(document, option, value, where) for option in schema[key]):
                return []
            return [f"{where}: {value!r} matches none of {key}"]
    if "const" in schema and value != schema["const"]:
        return [f"{where}: {value!r} is not {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    kind = schema.get("type")
    if kind is not None and (not isinstance(value, TYPES[kind]) or (kind in ("integer", "number")
                                                                     and isinstance(value, bool))):
        return [f"{where}: {value!r} is not {kind}"]
    if schema.get("format") == "date-time":
        datetime.fromisoformat(value)
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{where}: missing {name}" for name in schema.get("required", []) if name not in value]
        # An object schema without properties is a free-form dict.
        extra = schema.get("additionalProperties", not properties)
        for name, item in value.items():
            if name in properties:
                found += problems(document, properties[name], item, f"{where}.{name}")
            elif isinstance(extra, dict):
                found += problems(document, extra, item, f"{where}.{name}")
            elif not extra:
                found.append(f"{where}: {name} is not in the schema")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(document, schema["items"], item, f"{where}[{index}]")
    return found


def schema_of(document: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    return document["paths"][path][method.lower()]["responses"][str(status)]["content"][JSON]["schema"]


def publish_seed(creator_id: str, image_id: str) -> str:
    with uow() as session:
        return create_seed(session, session.get(User, creator_id), example_image_ids=[image_id]).id


def png() -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


async def test_every_2xx_json_response_refers_to_a_named_schema(document: dict[str, Any]) -> None:
    unnamed = [
        f"{method} {path} {status}"
        for method, path, status, answer in _operations(document)
        if status.startswith("2") and "$ref" not in answer.get("content", {}).get(JSON, {}).get("schema", {})
        and JSON in answer.get("content", {})
    ]
    assert unnamed == []


async def test_every_2xx_response_says_what_it_carries(document: dict[str, Any]) -> None:
    # A JSON schema, a file or event-stream media type, or nothing at all for a redirect or a 204.
    silent = [
        f"{method} {path} {status}"
        for method, path, status, answer in _operations(document)
        if status.startswith("2") and status != "204" and not answer.get("content")
    ]
    assert silent == []


async def test_real_answers_match_the_schemas_the_document_names(
    api: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    key, user_id = await asyncio.to_thread(new_key)
    headers = {"x-api-key": key}
    request = {"prompt": "a lighthouse on a cliff", "width": 256, "height": 256, "num_variations": 2}
    created = await api.post("/api/v1/generations", json=request, headers=headers)
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]
    generation_id = created.json()["id"]
    image_id = (await api.get(f"/api/v1/generations/{generation_id}", headers=headers)).json()["outputs"][0]["image_id"]
    seed_id = await asyncio.to_thread(publish_seed, user_id, image_id)
    uploaded = await api.post("/api/v1/uploads", files={"file": ("ref.png", png(), "image/png")}, headers=headers)
    answers = [
        ("POST", "/v1/generations", created),
        ("GET", "/v1/generations/{generation_id}", await api.get(f"/api/v1/generations/{generation_id}",
                                                                   headers=headers)),
        ("GET", "/v1/generations", await api.get("/api/v1/generations", headers=headers)),
        ("POST", "/v1/generations/estimate", await api.post("/api/v1/generations/estimate", json=request,
                                                             headers=headers)),
        ("POST", "/v1/uploads", uploaded),
        ("GET", "/v1/images/{image_id}", await api.get(f"/api/v1/images/{uploaded.json()['id']}", headers=headers)),
        ("GET", "/v1/account", await api.get("/api/v1/account", headers=headers)),
        ("GET", "/v1/account/credits", await api.get("/api/v1/account/credits", headers=headers)),
        ("GET", "/v1/account/usage", await api.get("/api/v1/account/usage", headers=headers)),
        ("GET", "/v1/providers", await api.get("/api/v1/providers", headers=headers)),
        ("GET", "/v1/health/providers", await api.get("/api/v1/health/providers", headers=headers)),
        ("GET", "/v1/seeds", await api.get("/api/v1/seeds", headers=headers)),
        ("GET", "/v1/seeds/{seed_id}", await api.get(f"/api/v1/seeds/{seed_id}", headers=headers)),
        ("GET", "/auth/csrf", await api.get("/api/auth/csrf")),
    ]
    polled = answers[1][2].json()
    assert polled["status"] == "succeeded" and len(polled["outputs"]) == 2  # the outputs are checked too
    assert answers[-2][2].json()["examples"] and answers[-2][2].json()["creator"]

    for method, path, response in answers:
        assert response.is_success, (path, response.text)
        schema = schema_of(document, method, path, response.status_code)
        assert problems(document, schema, response.json()) == [], path


async def test_the_health_report_matches_its_schema_whether_ok_or_degraded(
    api: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    response = await api.get("/api/health")
    assert response.status_code in (200, 503)
    assert problems(document, schema_of(document, "GET", "/health", response.status_code), response.json()) == []


async def test_no_schema_in_the_document_carries_a_secret(document: dict[str, Any]) -> None:
    secrets = {"password_hash", "key_hash", "token_hash", "secret_ciphertext", "secret", "storage_key"}
    # A webhook signing secret is the answer itself when an endpoint is made or its secret rotated
    # (shown once, as Stripe and Svix do); nothing else may carry one.
    shown_once = {"WebhookEndpointCreated.secret", "WebhookSecret.secret"}
    leaked = [f"{name}.{field}" for name, schema in document["components"]["schemas"].items()
              for field in schema.get("properties", {}) if field in secrets]
    assert sorted(set(leaked) - shown_once) == []
