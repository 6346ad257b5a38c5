"""The reports of `/api/health`, `/api/health/ready` and `/api/health/live`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.providers.schemas import ProviderStatus


class DependencyCheck(BaseModel):
    """One dependency: `ok` is None when it is not configured (and not needed)."""

    model_config = ConfigDict(extra="allow")

    ok: bool | None
    configured: bool | None = None
    backend: str | None = None
    detail: str | None = None
    latency_ms: float | None = None


class HealthChecks(BaseModel):
    database: DependencyCheck
    redis: DependencyCheck
    storage: DependencyCheck
    # The provider list, or a failed check when the providers could not be asked in time.
    providers: list[ProviderStatus] | DependencyCheck


class HealthReport(BaseModel):
    """`degraded` (answered with a 503) when a dependency is down or no provider can serve."""

    status: Literal["ok", "degraded"]
    version: str
    checks: HealthChecks


class ReadinessChecks(BaseModel):
    database: DependencyCheck
    redis: DependencyCheck
    storage: DependencyCheck


class ReadinessReport(BaseModel):
    """`unavailable` (answered with a 503) when a dependency this process needs is down; `failed` names it."""

    status: Literal["ready", "unavailable"]
    failed: list[Literal["database", "redis", "storage"]]
    checks: ReadinessChecks


class Liveness(BaseModel):
    """The process answers; nothing else is checked."""

    status: Literal["ok"]
