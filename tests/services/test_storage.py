"""One storage suite, run against the local directory and against a real S3 API (SeaweedFS)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from fastapi import FastAPI

from dreampixel.api import files
from dreampixel.api.problems import install_problem_handlers
from dreampixel.core.settings import settings
from services.storage import (
    InvalidStorageKey,
    LocalStorage,
    S3Storage,
    Storage,
    StorageNotFound,
    get_storage,
    reset_storage_cache,
)
from tests.fixtures.s3 import S3Server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SECRET = b"test-session-secret"
GENERATION_KEY = "generations/2026/abc123.png"
REFERENCE_KEY = "references/u1/ref.png"
SEED_KEY = "seeds/42/full.png"

Fetch = Callable[..., Any]


def _s3_storage(server: S3Server, bucket_name: str, **overrides: Any) -> S3Storage:
    return S3Storage(
        bucket_name=bucket_name,
        endpoint_url=server.endpoint_url,
        region=server.region,
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        **overrides,
    )


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "images", "/api/files", SECRET, bucket="images")
    server: S3Server = request.getfixturevalue("s3_server")
    return _s3_storage(server, request.getfixturevalue("s3_bucket"))


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "images", "/api/files", SECRET, bucket="images")


@pytest.fixture
async def fetch(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Fetch]:
    """GET a storage URL the way a browser would: S3 URLs over HTTP, local ones through the router."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(files.router, prefix="/api")
    monkeypatch.setattr(files, "get_storage", lambda bucket: storage)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as local_client,
        httpx.AsyncClient() as http_client,
    ):

        async def get(url: str, **kwargs: Any) -> httpx.Response:
            client = http_client if url.startswith("http") else local_client
            return await client.get(url, **kwargs)

        yield get


def _tamper(url: str) -> str:
    """The same URL with the last character of its signature changed."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    name = "sig" if "sig" in query else "X-Amz-Signature"
    query[name] = query[name][:-1] + ("0" if query[name][-1] != "0" else "1")
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- the interface, same behaviour from both backends ----------------------------------------
async def test_put_then_get_returns_the_same_bytes(storage: Storage) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    assert await storage.get(GENERATION_KEY) == PNG


async def test_put_overwrites_an_existing_object(storage: Storage) -> None:
    await storage.put("a/b.txt", b"first", content_type="text/plain")
    await storage.put("a/b.txt", b"second", content_type="text/plain")
    assert await storage.get("a/b.txt") == b"second"


async def test_get_of_a_missing_key_raises_not_found(storage: Storage) -> None:
    with pytest.raises(StorageNotFound) as caught:
        await storage.get("nothing/here.png")
    assert caught.value.status_code == 404
    assert caught.value.code == "not_found"


async def test_exists_follows_put_and_delete(storage: Storage) -> None:
    assert not await storage.exists("x/y.png")
    await storage.put("x/y.png", PNG, content_type="image/png")
    assert await storage.exists("x/y.png")
    await storage.delete("x/y.png")
    assert not await storage.exists("x/y.png")


async def test_delete_is_idempotent(storage: Storage) -> None:
    await storage.put("gone.png", PNG, content_type="image/png")
    await storage.delete("gone.png")
    await storage.delete("gone.png")
    await storage.delete("never-existed.png")
    with pytest.raises(StorageNotFound):
        await storage.get("gone.png")


@pytest.mark.parametrize("key", ["../x", "/abs", "a/../b", "a//b", "a b.png", "", ".hidden", "a/.meta/b", "é.png"])
async def test_bad_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidStorageKey):
        await storage.put(key, b"x", content_type="text/plain")
    with pytest.raises(InvalidStorageKey):
        await storage.get(key)
    with pytest.raises(InvalidStorageKey):
        storage.url(key)


async def test_url_downloads_the_object_with_its_content_type(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    response = await fetch(storage.url(GENERATION_KEY))
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"


async def test_a_tampered_url_is_refused(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    response = await fetch(_tamper(storage.url(GENERATION_KEY)))
    assert response.status_code == 403


async def test_a_url_for_another_key_is_refused(storage: Storage, fetch: Fetch) -> None:
    await storage.put("a/one.png", PNG, content_type="image/png")
    await storage.put("a/two.png", PNG, content_type="image/png")
    response = await fetch(storage.url("a/one.png").replace("a/one.png", "a/two.png"))
    assert response.status_code == 403


@pytest.mark.parametrize("key", [GENERATION_KEY, REFERENCE_KEY])
async def test_a_signed_url_is_answered_private_and_never_immutable(storage: Storage, fetch: Fetch, key: str) -> None:
    await storage.put(key, PNG, content_type="image/png")
    response = await fetch(storage.url(key))
    assert response.status_code == 200
    cache = response.headers["cache-control"]
    assert cache.startswith("private, max-age=") and "public" not in cache and "immutable" not in cache


async def test_a_signed_url_is_never_cached_past_its_expiry(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    response = await fetch(storage.url(GENERATION_KEY, expires_in=120))
    assert 0 < int(response.headers["cache-control"].rpartition("max-age=")[2]) <= 120


async def test_a_public_examples_url_may_be_cached_by_anyone(storage: Storage, fetch: Fetch) -> None:
    await storage.put(SEED_KEY, PNG, content_type="image/png", cache_seconds=60)
    response = await fetch(storage.url(SEED_KEY, public=True))
    assert response.headers["cache-control"] == "public, max-age=60, immutable"


async def test_a_url_for_a_missing_object_is_404(storage: Storage, fetch: Fetch) -> None:
    response = await fetch(storage.url("missing/file.png"))
    assert response.status_code == 404


async def test_health_is_ok(storage: Storage) -> None:
    report = await storage.health()
    assert report["ok"] is True
    assert report["backend"] == storage.name


# --- local backend and the files router --------------------------------------------------------
async def test_local_url_is_signed_under_the_api_files_path(local_storage: LocalStorage) -> None:
    url = local_storage.url(GENERATION_KEY)
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    assert parts.path == f"/api/files/images/{GENERATION_KEY}"
    assert set(query) == {"exp", "sig"}
    assert int(query["exp"]) > time.time()


async def test_a_public_local_url_never_expires(local_storage: LocalStorage) -> None:
    query = dict(parse_qsl(urlsplit(local_storage.url(GENERATION_KEY, public=True)).query))
    assert set(query) == {"sig"}


@pytest.mark.parametrize("storage", ["local"], indirect=True)
async def test_a_public_local_url_is_served(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    assert (await fetch(storage.url(GENERATION_KEY, public=True))).status_code == 200


@pytest.mark.parametrize("storage", ["local"], indirect=True)
async def test_an_expired_local_url_is_refused(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    response = await fetch(storage.url(GENERATION_KEY, expires_in=-5))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("storage", ["local"], indirect=True)
async def test_an_unsigned_local_url_is_refused(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    assert (await fetch(f"/api/files/images/{GENERATION_KEY}")).status_code == 403


@pytest.mark.parametrize("storage", ["local"], indirect=True)
async def test_the_router_answers_304_when_the_etag_matches(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    url = storage.url(GENERATION_KEY)
    first = await fetch(url)
    assert first.headers["x-content-type-options"] == "nosniff"
    again = await fetch(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize("storage", ["local"], indirect=True)
async def test_the_etag_changes_when_the_file_changes(storage: Storage, fetch: Fetch) -> None:
    await storage.put(GENERATION_KEY, PNG, content_type="image/png")
    first = await fetch(storage.url(GENERATION_KEY))
    await storage.put(GENERATION_KEY, PNG + b"more", content_type="image/png")
    second = await fetch(storage.url(GENERATION_KEY), headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.content == PNG + b"more"


@pytest.mark.parametrize("storage", ["local"], indirect=True)
@pytest.mark.parametrize(
    "path",
    [
        "/api/files/images/..%2F..%2Fsecret.txt",
        "/api/files/images/a/%2E%2E/%2E%2E/secret.txt",
        "/api/files/images/.meta/x.png.json",
        "/api/files/other/x.png",
    ],
)
async def test_the_router_never_leaves_the_bucket(storage: Storage, fetch: Fetch, tmp_path: Path, path: str) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    response = await fetch(path + "?sig=00")
    assert response.status_code == 404


async def test_the_router_does_not_serve_when_the_backend_is_s3(
    s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(files.router, prefix="/api")
    monkeypatch.setattr(files, "get_storage", lambda bucket: _s3_storage(s3_server, s3_bucket))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await client.get("/api/files/images/a.png?sig=00")).status_code == 404


async def test_local_writes_leave_no_temporary_files(local_storage: LocalStorage) -> None:
    for n in range(3):
        await local_storage.put("a/b.png", PNG * n, content_type="image/png")
    assert list((local_storage.root / ".tmp").iterdir()) == []


async def test_local_health_is_not_ok_when_the_directory_cannot_exist(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    broken = LocalStorage(tmp_path / "file" / "images", "/api/files", SECRET)
    report = await broken.health()
    assert report["ok"] is False


# --- S3 backend -----------------------------------------------------------------------------
async def test_s3_health_is_not_ok_for_a_missing_bucket(s3_server: S3Server) -> None:
    report = await _s3_storage(s3_server, "no-such-bucket-here").health()
    assert report["ok"] is False
    assert "does not exist" in str(report["detail"])


async def test_s3_only_public_urls_use_the_cdn(s3_server: S3Server, s3_bucket: str) -> None:
    storage = _s3_storage(s3_server, s3_bucket, cdn_base_url="https://cdn.example.com/")
    assert storage.url(SEED_KEY, public=True) == f"https://cdn.example.com/{SEED_KEY}"
    private = urlsplit(storage.url(GENERATION_KEY))
    assert private.netloc != "cdn.example.com" and "X-Amz-Signature" in private.query


async def test_s3_put_stores_private_cache_control_except_for_public_examples(
    s3_server: S3Server, s3_bucket: str
) -> None:
    storage = _s3_storage(s3_server, s3_bucket)
    await storage.put(REFERENCE_KEY, PNG, content_type="image/webp")
    await storage.put(SEED_KEY, PNG, content_type="image/png")
    head = s3_server.client().head_object(Bucket=s3_bucket, Key=REFERENCE_KEY)
    assert head["ContentType"] == "image/webp"
    assert head["CacheControl"] == f"private, max-age={settings.cache_ttl_reference}"
    seed_head = s3_server.client().head_object(Bucket=s3_bucket, Key=SEED_KEY)
    assert seed_head["CacheControl"] == f"public, max-age={settings.cache_ttl_generation}, immutable"


async def test_s3_refuses_wrong_credentials(s3_server: S3Server, s3_bucket: str) -> None:
    storage = S3Storage(
        bucket_name=s3_bucket,
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.access_key,
        secret_access_key="wrong-secret",
    )
    assert (await storage.health())["ok"] is False


async def test_boto3_never_runs_on_the_event_loop_thread(
    s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = _s3_storage(s3_server, s3_bucket)
    seen: list[threading.Thread] = []
    for name in ("put_object", "get_object", "head_object", "delete_object", "head_bucket"):
        original = getattr(storage.client, name)

        def recording(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            seen.append(threading.current_thread())
            return _original(*args, **kwargs)

        monkeypatch.setattr(storage.client, name, recording)
    await storage.put("t.png", PNG, content_type="image/png")
    await storage.get("t.png")
    await storage.exists("t.png")
    await storage.delete("t.png")
    await storage.health()
    assert len(seen) == 5
    assert threading.current_thread() not in seen


# --- choosing the backend ----------------------------------------------------------------------
def test_get_storage_is_local_by_default_and_cached() -> None:
    reset_storage_cache()
    try:
        assert isinstance(get_storage("images"), LocalStorage)
        assert get_storage("images") is get_storage("images")
        assert get_storage("invoices") is not get_storage("images")
    finally:
        reset_storage_cache()


def test_get_storage_picks_s3_when_a_bucket_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "s3_bucket_images", "dp-images")
    monkeypatch.setattr(settings, "s3_bucket_invoices", "dp-invoices")
    monkeypatch.setattr(settings, "s3_endpoint_url", "http://127.0.0.1:9")
    reset_storage_cache()
    try:
        images, invoices = get_storage("images"), get_storage("invoices")
        assert isinstance(images, S3Storage) and images.bucket_name == "dp-images"
        assert isinstance(invoices, S3Storage) and invoices.bucket_name == "dp-invoices"
        assert images.client.meta.config.s3["addressing_style"] == "path"
    finally:
        reset_storage_cache()
