"""The original Dream Pixel API's shapes (camelCase, PENDING..FAILED), mapped to and from v1's.

Only `dreampixel/api/compat.py` uses them; v1's `GenerationRequest` and `GenerationPublic` stay
the one source of truth, these are their translations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dreampixel.core.models import GenerationStatus
from dreampixel.core.schemas import Timestamp
from services.generation.schemas import GenerationPublic

LegacyStatus = Literal["PENDING", "PROCESSING", "SUCCEEDED", "FAILED"]
# The original product had no canceled or expired: a client treats both as failed.
_LEGACY_STATUS: dict[GenerationStatus, LegacyStatus] = {
    GenerationStatus.QUEUED: "PENDING", GenerationStatus.PROCESSING: "PROCESSING",
    GenerationStatus.SUCCEEDED: "SUCCEEDED", GenerationStatus.FAILED: "FAILED",
    GenerationStatus.CANCELED: "FAILED", GenerationStatus.EXPIRED: "FAILED",
}
# What the original README promised a client to wait for one image, in seconds.
ESTIMATED_SECONDS_PER_IMAGE = 15


class LegacySettings(BaseModel):
    width: int = 1024
    height: int = 1024
    guidance_scale: float = 7.5
    steps: int = 30
    num_variations: int = 1
    format: str = "png"


class LegacyGenerationRequest(BaseModel):
    """The body of the original `POST /api/generations`."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(max_length=10_000)
    negativePrompt: str = Field(default="", max_length=10_000)
    seed: int | None = None
    referenceImageUrl: str | None = Field(default=None, max_length=2048)
    settings: LegacySettings = Field(default_factory=LegacySettings)
    provider: str | None = None

    def to_v1(self) -> dict[str, Any]:
        """The same request in v1's names (checked again by `to_create`)."""
        return {"prompt": self.prompt, "negative_prompt": self.negativePrompt, "seed": self.seed,
                "reference_image_url": self.referenceImageUrl, "provider": self.provider,
                **self.settings.model_dump()}


class LegacyJob(BaseModel):
    """The 202 answer to a submitted generation."""

    jobId: str
    status: LegacyStatus
    estimatedProcessingTime: int
    creditsUsed: int
    creditsRemaining: int
    createdAt: Timestamp


class LegacyGeneration(BaseModel):
    id: str
    prompt: str
    status: LegacyStatus
    resultImageUrl: str | None
    processingTimeMs: int | None
    provider: str | None
    createdAt: Timestamp
    completedAt: Timestamp | None

    @classmethod
    def of(cls, generation: GenerationPublic) -> LegacyGeneration:
        return cls(id=generation.id, prompt=generation.input.prompt, status=_LEGACY_STATUS[generation.status],
                   resultImageUrl=generation.outputs[0].url if generation.outputs else None,
                   processingTimeMs=generation.timings.processing_ms,
                   provider=generation.provider.used or generation.provider.requested,
                   createdAt=generation.created_at, completedAt=generation.completed_at)


class LegacyGenerationEnvelope(BaseModel):
    generation: LegacyGeneration


class LegacyPagination(BaseModel):
    page: int
    limit: int
    total: int
    totalPages: int


class LegacyGenerationList(BaseModel):
    generations: list[LegacyGeneration]
    pagination: LegacyPagination


ProviderWord = Literal["healthy", "unhealthy", "unknown", "not_configured"]


class LegacyProvider(BaseModel):
    name: str
    healthy: bool
    status: ProviderWord
    lastCheck: Timestamp


class LegacyProvidersHealth(BaseModel):
    """The original `GET /api/health/providers`: no detail a provider wrote about its account."""

    status: Literal["healthy", "degraded", "unhealthy"]
    providers: dict[str, LegacyProvider]
    configured: dict[str, bool]

    @classmethod
    def of(cls, statuses: list[dict[str, Any]], checked_at: datetime) -> LegacyProvidersHealth:
        providers = {}
        for status in statuses:
            word: ProviderWord = ("not_configured" if not status["configured"] else "unknown"
                                  if status["healthy"] is None else "healthy" if status["healthy"] else "unhealthy")
            providers[status["name"]] = LegacyProvider(name=status["name"], healthy=status["healthy"] is True,
                                                       status=word, lastCheck=checked_at)
        usable = [p for p in providers.values() if p.status != "not_configured"]
        healthy = sum(p.healthy for p in usable)
        overall: Literal["healthy", "degraded", "unhealthy"] = (
            "healthy" if usable and healthy == len(usable) else "degraded" if healthy else "unhealthy")
        return cls(status=overall, providers=providers,
                   configured={s["name"]: bool(s["configured"]) for s in statuses})
