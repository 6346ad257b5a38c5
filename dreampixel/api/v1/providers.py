"""/api/v1/providers and /api/v1/health/providers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.providers import registry
from services.providers.breaker import breaker_for

router = APIRouter(tags=["providers"])


async def _statuses() -> list[dict[str, Any]]:
    statuses = registry.provider_statuses()
    for status in statuses:
        status["circuit"] = breaker_for(status["name"]).state.value
    return statuses


@router.get("/providers")
async def list_providers() -> dict[str, Any]:
    """Configured providers with their health and capabilities."""
    return {"object": "list", "data": await _statuses()}


@router.get("/health/providers")
async def provider_health() -> dict[str, Any]:
    """Each provider's configured/healthy state, and whether any can serve a generation now."""
    statuses = await _statuses()
    healthy = [s["name"] for s in statuses if s.get("configured") and s.get("healthy") is not False
               and s["circuit"] != "open"]
    return {"status": "ok" if healthy else "degraded", "available": healthy,
            "providers": {s["name"]: s for s in statuses}}
