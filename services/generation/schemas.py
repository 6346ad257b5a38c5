"""Generations in and out: the request both faces submit, and the generation object they show.

`GenerationPublic` is what `/api/v1/generations` returns (see ../shared/API.md), what its
webhooks and Server-Sent Events carry, and what the generate page's cards are built from.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session

from dreampixel.core.errors import ValidationFailed
from dreampixel.core.models import Generation, GenerationCreate, GenerationStatus, Image, ImageType, OutputFormat
from dreampixel.core.schemas import Timestamp
from services.generation import service as generations
from services.images import repository as image_rows
from services.storage import get_storage

ERROR_RETRYABLE = {"provider_unavailable", "provider_timeout", "provider_rate_limited", "worker_lost",
                   "deadline_exceeded", "provider_bad_response"}
# GenerationCreate's names for the request's fields, where the two differ.
_REQUEST_NAMES = {"seed_requested": "seed", "output_format": "format", "provider_requested": "provider",
                  "seed_listing_id": "seed_id", "meta": "metadata"}
# A generation's metadata is the client's to label it with, not a document store.
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 64
METADATA_MAX_BYTES = 16 * 1024


# --- in ---------------------------------------------------------------------------------------


class GenerationRequest(BaseModel):
    """What a client asks for (the body of POST /generations); the bounds are checked again by GenerationCreate."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=10_000)
    negative_prompt: str = Field(default="", max_length=10_000)
    seed: int | None = Field(default=None, ge=0, le=generations.MAX_SEED)
    width: int = 1024
    height: int = 1024
    steps: int = 30
    guidance_scale: float = 7.5
    num_variations: int = 1
    format: str = "png"
    provider: str | None = None
    reference_image_id: str | None = None
    reference_image_url: str | None = Field(default=None, max_length=2048)
    seed_id: str | None = None
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description=f"Your own labels, returned on the generation: at most {METADATA_MAX_KEYS} keys "
                    f"and {METADATA_MAX_BYTES // 1024} KB as JSON.",
    )

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > METADATA_MAX_KEYS:
            raise ValueError(f"at most {METADATA_MAX_KEYS} keys")
        if any(len(key) > METADATA_MAX_KEY_LENGTH for key in value):
            raise ValueError(f"keys are at most {METADATA_MAX_KEY_LENGTH} characters")
        if len(json.dumps(value, separators=(",", ":")).encode()) > METADATA_MAX_BYTES:
            raise ValueError(f"at most {METADATA_MAX_BYTES // 1024} KB as JSON")
        return value


def to_create(
    request: GenerationRequest | dict[str, Any],
    *,
    reference_image_id: str | None,
    idempotency_key: str | None = None,
) -> GenerationCreate:
    """The checked GenerationCreate for a request; ValidationFailed names each bad field as the request does.

    `reference_image_id` is the one the caller has already resolved and checked for ownership.
    """
    try:
        parsed = GenerationRequest.model_validate(request)
        return GenerationCreate.model_validate({
            "prompt": parsed.prompt, "negative_prompt": parsed.negative_prompt, "seed_requested": parsed.seed,
            "width": parsed.width, "height": parsed.height, "steps": parsed.steps,
            "guidance_scale": parsed.guidance_scale, "num_variations": parsed.num_variations,
            "output_format": parsed.format, "provider_requested": parsed.provider,
            "reference_image_id": reference_image_id, "seed_listing_id": parsed.seed_id,
            "idempotency_key": idempotency_key, "meta": parsed.metadata,
        })
    except ValidationError as error:
        errors = [{"field": _field(e["loc"]), "message": e["msg"].removeprefix("Value error, ")}
                  for e in error.errors()]
        first = errors[0]
        raise ValidationFailed(f"{first['field'].replace('_', ' ').capitalize()}: {first['message']}.",
                               errors=errors) from error


def _field(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "body"
    return ".".join([_REQUEST_NAMES.get(str(loc[0]), str(loc[0])), *(str(part) for part in loc[1:])])


# --- out --------------------------------------------------------------------------------------


class GenerationInput(BaseModel):
    """What was asked for, in the request's names."""

    prompt: str
    negative_prompt: str
    seed: int | None
    width: int
    height: int
    steps: int
    guidance_scale: float
    num_variations: int
    format: OutputFormat
    reference_image_id: str | None
    seed_id: str | None


class ProviderAttempt(BaseModel):
    provider: str | None
    status: str | None  # succeeded | failed | skipped
    error_code: str | None
    latency_ms: int | None


class GenerationProvider(BaseModel):
    requested: str | None
    used: str | None
    attempts: list[ProviderAttempt]


class GenerationOutput(BaseModel):
    """One delivered image: the full file and its smaller copies, as signed URLs."""

    image_id: str
    url: str
    medium_url: str | None
    thumbnail_url: str | None
    width: int
    height: int
    content_type: str
    bytes: int
    seed: int | None


class GenerationQueue(BaseModel):
    position: int
    estimated_start_at: Timestamp


class GenerationCost(BaseModel):
    credits_held: int
    credits_charged: int
    credits_refunded: int


class GenerationTimings(BaseModel):
    processing_ms: int | None


class GenerationError(BaseModel):
    code: str
    message: str | None
    retryable: bool


class GenerationPublic(BaseModel):
    """Everything a client needs to show or act on one generation."""

    id: str
    object: Literal["generation"] = "generation"
    status: GenerationStatus
    created_at: Timestamp
    started_at: Timestamp | None
    completed_at: Timestamp | None
    input: GenerationInput
    seed: int | None
    provider: GenerationProvider
    outputs: list[GenerationOutput]
    queue: GenerationQueue | None
    cost: GenerationCost
    timings: GenerationTimings
    error: GenerationError | None
    retry_of: str | None
    metadata: dict[str, Any]

    def json_dict(self) -> dict[str, Any]:
        """The JSON object as plain values: for stored idempotent replies and event payloads."""
        return self.model_dump(mode="json")


class GenerationDeleted(BaseModel):
    """The answer to deleting a generation."""

    id: str
    object: Literal["generation"] = "generation"
    deleted: Literal[True] = True


class DailyUsage(BaseModel):
    """Today's generations against the tier's limit; `resets_at` is when the oldest leaves the window."""

    limit: int
    used: int
    remaining: int
    resets_at: Timestamp | None


class Estimate(BaseModel):
    credits: int
    balance: int
    daily: DailyUsage


def outputs(session: Session, generation: Generation) -> list[GenerationOutput]:
    """One entry per delivered image: the full file and its thumbnail, as signed URLs."""
    rows = image_rows.outputs_of(session, generation.id)
    storage = get_storage()
    by_parent: dict[str, dict[ImageType, Image]] = {}
    for row in rows:
        if row.parent_id:
            by_parent.setdefault(row.parent_id, {})[row.type] = row
    result = []
    for row in rows:
        if row.type is not ImageType.FULL:
            continue
        children = by_parent.get(row.id, {})
        thumb = children.get(ImageType.THUMBNAIL)
        medium = children.get(ImageType.MEDIUM)
        result.append(GenerationOutput(
            image_id=row.id,
            url=storage.url(row.storage_key),
            medium_url=storage.url(medium.storage_key) if medium else None,
            thumbnail_url=storage.url(thumb.storage_key) if thumb else None,
            width=row.width,
            height=row.height,
            content_type=row.content_type,
            bytes=row.bytes,
            seed=(row.meta or {}).get("seed"),
        ))
    return result


def generation_public(session: Session, generation: Generation) -> GenerationPublic:
    """The generation object for one row: its outputs, queue place, cost and error."""
    error = None
    if generation.error_code:
        error = GenerationError(code=generation.error_code, message=generation.error_message,
                                retryable=generation.error_code in ERROR_RETRYABLE)
    queue = generations.queue_position(session, generation)
    return GenerationPublic(
        id=generation.id,
        status=generation.status,
        created_at=generation.created_at,
        started_at=generation.started_at,
        completed_at=generation.completed_at,
        input=GenerationInput(
            prompt=generation.prompt,
            negative_prompt=generation.negative_prompt,
            seed=generation.seed_requested,
            width=generation.width,
            height=generation.height,
            steps=generation.steps,
            guidance_scale=generation.guidance_scale,
            num_variations=generation.num_variations,
            format=generation.output_format,
            reference_image_id=generation.reference_image_id,
            seed_id=generation.seed_listing_id,
        ),
        seed=generation.seed_used,
        provider=GenerationProvider(
            requested=generation.provider_requested,
            used=generation.provider_used,
            attempts=[ProviderAttempt(**{k: a.get(k) for k in ("provider", "status", "error_code", "latency_ms")})
                      for a in generation.attempts],
        ),
        outputs=outputs(session, generation) if generation.status == GenerationStatus.SUCCEEDED else [],
        queue=GenerationQueue(**queue) if queue else None,
        cost=GenerationCost(
            credits_held=generation.credits_held,
            credits_charged=generation.credits_charged,
            credits_refunded=generation.credits_refunded,
        ),
        timings=GenerationTimings(processing_ms=generation.processing_time_ms),
        error=error,
        retry_of=generation.retry_of_id,
        metadata=generation.meta,
    )
