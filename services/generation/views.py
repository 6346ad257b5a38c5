"""The generation object of the API (../shared/API.md), shared by the REST API and the web app."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from dreampixel.core.models import Generation, Image, ImageType
from services.generation import service as generations
from services.storage import get_storage

ERROR_RETRYABLE = {"provider_unavailable", "provider_timeout", "provider_rate_limited", "worker_lost",
                   "deadline_exceeded", "provider_bad_response"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def outputs(session: Session, generation: Generation) -> list[dict[str, Any]]:
    """One entry per delivered image: the full file and its thumbnail, as signed URLs."""
    rows = session.exec(
        select(Image).where(Image.generation_id == generation.id).order_by(col(Image.variation_index))
    ).all()
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
        result.append({
            "image_id": row.id,
            "url": storage.url(row.storage_key),
            "medium_url": storage.url(medium.storage_key) if medium else None,
            "thumbnail_url": storage.url(thumb.storage_key) if thumb else None,
            "width": row.width,
            "height": row.height,
            "content_type": row.content_type,
            "bytes": row.bytes,
            "seed": (row.meta or {}).get("seed"),
        })
    return result


def generation_object(session: Session, generation: Generation) -> dict[str, Any]:
    """Everything a client needs to show or act on one generation."""
    error = None
    if generation.error_code:
        error = {"code": generation.error_code, "message": generation.error_message,
                 "retryable": generation.error_code in ERROR_RETRYABLE}
    queue = generations.queue_position(session, generation)
    return {
        "id": generation.id,
        "object": "generation",
        "status": generation.status.value,
        "created_at": _iso(generation.created_at),
        "started_at": _iso(generation.started_at),
        "completed_at": _iso(generation.completed_at),
        "input": {
            "prompt": generation.prompt,
            "negative_prompt": generation.negative_prompt,
            "seed": generation.seed_requested,
            "width": generation.width,
            "height": generation.height,
            "steps": generation.steps,
            "guidance_scale": generation.guidance_scale,
            "num_variations": generation.num_variations,
            "format": generation.output_format.value,
            "reference_image_id": generation.reference_image_id,
            "seed_id": generation.seed_listing_id,
        },
        "seed": generation.seed_used,
        "provider": {
            "requested": generation.provider_requested,
            "used": generation.provider_used,
            "attempts": [
                {k: a.get(k) for k in ("provider", "status", "error_code", "latency_ms")}
                for a in generation.attempts
            ],
        },
        "outputs": outputs(session, generation) if generation.status.value == "succeeded" else [],
        "queue": (
            {"position": queue["position"], "estimated_start_at": _iso(queue["estimated_start_at"])}
            if queue else None
        ),
        "cost": {
            "credits_held": generation.credits_held,
            "credits_charged": generation.credits_charged,
            "credits_refunded": generation.credits_refunded,
        },
        "timings": {"processing_ms": generation.processing_time_ms},
        "error": error,
        "retry_of": generation.retry_of_id,
        "metadata": generation.meta,
    }
