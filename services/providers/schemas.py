"""Providers as the API reports them: configured, healthy, circuit state and capabilities."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from dreampixel.core.models import OutputFormat
from services.providers.breaker import BreakerState


class ProviderCapabilities(BaseModel):
    max_width: int
    max_height: int
    max_variations: int
    reference_image: bool
    negative_prompt: bool
    seed: bool
    output_formats: list[OutputFormat]


class ProviderStatus(BaseModel):
    """One provider. `latency_ms` and `capabilities` are only present when it is configured.

    Routes answer with `response_model_exclude_unset=True` so that absent keys stay absent:
    build it with `ProviderStatus.model_validate(entry)` from a `registry.provider_statuses()` entry.
    """

    name: str
    configured: bool
    healthy: bool | None  # None when not configured
    detail: str | None
    circuit: BreakerState
    latency_ms: int | float | None = None
    capabilities: ProviderCapabilities | None = None


class ProviderList(BaseModel):
    object: Literal["list"]
    data: list[ProviderStatus]

    @classmethod
    def of(cls, statuses: list[dict[str, Any]]) -> ProviderList:
        return cls(object="list", data=[ProviderStatus.model_validate(s) for s in statuses])


class ProvidersHealth(BaseModel):
    """Which providers can serve a generation now; `degraded` when none can."""

    status: Literal["ok", "degraded"]
    available: list[str]
    providers: dict[str, ProviderStatus]

    @classmethod
    def of(cls, statuses: list[dict[str, Any]]) -> ProvidersHealth:
        available = [s["name"] for s in statuses
                     if s["configured"] and s["healthy"] is not False and s["circuit"] != "open"]
        return cls(status="ok" if available else "degraded", available=available,
                   providers={s["name"]: ProviderStatus.model_validate(s) for s in statuses})
