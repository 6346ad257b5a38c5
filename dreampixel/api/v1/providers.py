"""/api/v1/providers and /api/v1/health/providers."""

from __future__ import annotations

from fastapi import APIRouter

from services.providers import registry
from services.providers.schemas import ProviderList, ProvidersHealth

router = APIRouter(tags=["providers"])


# exclude_unset: an unconfigured provider has no latency_ms or capabilities key at all.
@router.get("/providers", response_model_exclude_unset=True)
async def list_providers() -> ProviderList:
    """Every known provider: configured, healthy, circuit state and capabilities."""
    return ProviderList.of(await registry.provider_statuses())


@router.get("/health/providers", response_model_exclude_unset=True)
async def provider_health() -> ProvidersHealth:
    """Each provider's configured/healthy state, and which can serve a generation now."""
    return ProvidersHealth.of(await registry.provider_statuses())
