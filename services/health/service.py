"""Health reports, each dependency checked and none allowed to raise.

`check()` is `/api/health` (dependencies and providers); `ready()` is `/api/health/ready`
(only what this process needs to serve: the database, Redis when configured, storage), which
a load balancer asks every few seconds, so it never calls a provider.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from importlib import metadata
from typing import Any

from sqlalchemy import text

from dreampixel.core.db import get_engine
from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.providers.registry import provider_statuses
from services.storage import get_storage

CHECK_TIMEOUT_SECONDS = 5.0

log = get_logger(__name__)


def app_version() -> str:
    try:
        return metadata.version("dreampixel")
    except metadata.PackageNotFoundError:  # running from a source checkout
        return "0.1.0+source"


async def check() -> dict[str, Any]:
    """Check every dependency concurrently; `status` is "degraded" when one is down."""
    database, redis_check, storage, providers = await asyncio.gather(_database(), _redis(), _storage(), _providers())
    degraded = (
        database["ok"] is False
        or redis_check["ok"] is False
        or storage.get("ok") is False
        or _no_provider_usable(providers)
    )
    return {
        "status": "degraded" if degraded else "ok",
        "version": app_version(),
        "checks": {
            "database": database,
            "redis": redis_check,
            "storage": storage,
            "providers": providers,
        },
    }


async def ready() -> dict[str, Any]:
    """Whether this process can serve: `ready` when the database, Redis (if configured) and storage answer."""
    database, redis_check, storage = await asyncio.gather(_database(), _redis(), _storage())
    checks = {"database": database, "redis": redis_check, "storage": storage}
    failed = [name for name, check in checks.items() if check.get("ok") is False]
    return {"status": "unavailable" if failed else "ready", "failed": failed, "checks": checks}


async def _database() -> dict[str, Any]:
    engine = get_engine()

    def select_one() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.to_thread(select_one), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:  # a health check reports failures, it never raises them
        log.warning("health.database_failed", error=repr(exc))
        return {"ok": False, "backend": engine.dialect.name, "detail": _describe(exc)}
    return {"ok": True, "backend": engine.dialect.name, "latency_ms": _since(started)}


async def _redis() -> dict[str, Any]:
    if not settings.redis_url:
        return {"configured": False, "ok": None, "detail": "not configured: jobs run in-process"}
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis_url, socket_timeout=CHECK_TIMEOUT_SECONDS)
    started = time.perf_counter()
    try:
        pong = client.ping()  # typed for the sync and async clients alike
        if inspect.isawaitable(pong):
            await asyncio.wait_for(pong, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("health.redis_failed", error=repr(exc))
        return {"configured": True, "ok": False, "detail": _describe(exc)}
    finally:
        await client.aclose()
    return {"configured": True, "ok": True, "latency_ms": _since(started)}


async def _storage() -> dict[str, Any]:
    try:
        result = await asyncio.wait_for(_call(lambda: get_storage().health()), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("health.storage_failed", error=repr(exc))
        return {"ok": False, "detail": _describe(exc)}
    return dict(result) if isinstance(result, dict) else {"ok": bool(result)}


async def _providers() -> list[dict[str, Any]] | dict[str, Any]:
    try:
        return await asyncio.wait_for(provider_statuses(), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("health.providers_failed", error=repr(exc))
        return {"ok": False, "detail": _describe(exc)}


def _no_provider_usable(providers: list[dict[str, Any]] | dict[str, Any]) -> bool:
    # One provider down is what failover is for; none usable means nothing can generate.
    if isinstance(providers, dict):
        return providers.get("ok") is False
    return not any(p["configured"] and p["healthy"] is not False and p.get("circuit") != "open" for p in providers)


async def _call(fn: Any) -> Any:
    """Run a sync or async callable without blocking the event loop."""
    result = await asyncio.to_thread(fn)
    if inspect.isawaitable(result):
        result = await result
    return result


def _describe(exc: BaseException) -> str:
    # The type and a short message: enough to act on, without connection strings.
    message = str(exc).split("\n", 1)[0][:200]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
