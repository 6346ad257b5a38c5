"""/api/v1/providers and /api/v1/health/providers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.providers import registry
from services.providers.schemas import ProviderList, ProvidersHealth

router = APIRouter(tags=["providers"])


def public_statuses(statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statuses without the providers' own words, which can name the account or its balance.

    These routes answer anyone; operators read the full details with `python -m dreampixel check`.
    """
    def word(status: dict[str, Any]) -> str:
        if not status["configured"]:
            return "not configured"
        return {True: "available", False: "unavailable"}.get(status["healthy"], "unknown")

    return [{**status, "detail": word(status)} for status in statuses]


# exclude_unset: an unconfigured provider has no latency_ms or capabilities key at all.
@router.get("/providers", response_model_exclude_unset=True)
async def list_providers() -> ProviderList:
    """Every known provider: configured, healthy, circuit state and capabilities."""
    return ProviderList.of(public_statuses(await registry.provider_statuses()))


@router.get("/health/providers", response_model_exclude_unset=True)
async def provider_health() -> ProvidersHealth:
    """Each provider's configured/healthy state, and which can serve a generation now."""
    return ProvidersHealth.of(public_statuses(await registry.provider_statuses()))
