"""/api/v1/providers and /api/v1/health/providers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.providers import registry

router = APIRouter(tags=["providers"])


@router.get("/providers")
async def list_providers() -> dict[str, Any]:
    """Every known provider: configured, healthy, circuit state and capabilities."""
    return {"object": "list", "data": await registry.provider_statuses()}


@router.get("/health/providers")
async def provider_health() -> dict[str, Any]:
    """Each provider's configured/healthy state, and which can serve a generation now."""
    statuses = await registry.provider_statuses()
    available = [s["name"] for s in statuses
                 if s["configured"] and s["healthy"] is not False and s["circuit"] != "open"]
    return {"status": "ok" if available else "degraded", "available": available,
            "providers": {s["name"]: s for s in statuses}}
