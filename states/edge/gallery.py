"""The gallery page's edge: the viewer's generations searched, opened, favourited and deleted.

Each function opens its own unit of work (see states/edge/__init__.py) and returns frozen
dataclasses, never rows. Deleting returns the storage keys: the caller removes those files
after the commit, as account deletion does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from dreampixel.core.db import uow
from dreampixel.core.models import Generation, GenerationStatus, Image, ImageType
from services.gallery import repository, service
from services.gallery.repository import GalleryFilter
from services.storage import get_storage
from states.edge.accounts import Viewer

STATUS_COLORS = {
    GenerationStatus.QUEUED: "gray",
    GenerationStatus.PROCESSING: "blue",
    GenerationStatus.SUCCEEDED: "green",
    GenerationStatus.FAILED: "red",
    GenerationStatus.CANCELED: "amber",
    GenerationStatus.EXPIRED: "orange",
}
DERIVATIVE_LABELS = {ImageType.FULL: "Full size", ImageType.MEDIUM: "Medium", ImageType.THUMBNAIL: "Thumbnail"}


@dataclass(frozen=True)
class Card:
    """One tile of the grid."""

    id: str
    prompt: str
    status: str
    status_color: str
    thumbnail_url: str
    size: str
    provider: str
    created: str
    favorite: bool


@dataclass(frozen=True)
class GalleryPage:
    cards: list[Card]
    next_cursor: str | None


@dataclass(frozen=True)
class Derivative:
    label: str
    size: str
    bytes: str
    url: str


@dataclass(frozen=True)
class Attempt:
    provider: str
    status: str
    error: str
    latency: str


@dataclass(frozen=True)
class Detail:
    """Everything the detail dialog shows about one generation."""

    id: str
    prompt: str
    negative_prompt: str
    status: str
    status_color: str
    seed: str
    size: str
    steps: str
    guidance: str
    output_format: str
    variations: str
    provider_requested: str
    provider_used: str
    created: str
    started: str
    completed: str
    processing: str
    credits: str
    error: str
    favorite: bool
    preview_url: str
    reuse_url: str
    derivatives: list[Derivative]
    attempts: list[Attempt]


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else "—"


def _bytes(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{max(count, 1) / 1024:.0f} KB"


def _status(generation: Generation) -> GenerationStatus:
    return GenerationStatus(generation.status)


def reuse_url(generation: Generation) -> str:
    """The Generate page filled in with this generation's settings (it reads these query parameters)."""
    params: dict[str, str | int | float] = {"prompt": generation.prompt}
    if generation.negative_prompt:
        params["negative_prompt"] = generation.negative_prompt
    seed = generation.seed_used if generation.seed_used is not None else generation.seed_requested
    if seed is not None:
        params["seed"] = seed
    params |= {"width": generation.width, "height": generation.height, "steps": generation.steps,
               "guidance_scale": generation.guidance_scale}
    if generation.provider_requested:
        params["provider"] = generation.provider_requested
    return "/generate?" + urlencode(params)


def page(viewer: Viewer, *, filters: GalleryFilter, cursor: str | None = None,
         limit: int = repository.PAGE_SIZE) -> GalleryPage:
    """One page of the grid: the viewer's generations matching `filters`, each with its thumbnail URL."""
    storage = get_storage()
    with uow() as session:
        rows, next_cursor = repository.search(session, user_id=viewer.user_id, filters=filters, cursor=cursor, limit=limit)
        thumbs: dict[str, Image] = {}
        for image in service.images_of(session, [row.id for row in rows]):
            if image.type is ImageType.THUMBNAIL and image.generation_id:
                current = thumbs.get(image.generation_id)
                if current is None or (image.variation_index or 0) < (current.variation_index or 0):
                    thumbs[image.generation_id] = image
        cards = [
            Card(id=row.id, prompt=row.prompt, status=_status(row).value, status_color=STATUS_COLORS[_status(row)],
                 thumbnail_url=storage.url(thumbs[row.id].storage_key) if row.id in thumbs else "",
                 size=f"{row.width}x{row.height}", provider=row.provider_used or row.provider_requested or "",
                 created=_when(row.created_at), favorite=row.is_favorite)
            for row in rows
        ]
        return GalleryPage(cards=cards, next_cursor=next_cursor)


def providers(viewer: Viewer) -> list[str]:
    with uow() as session:
        return repository.providers_used(session, user_id=viewer.user_id)


def detail(viewer: Viewer, *, generation_id: str) -> Detail:
    """One of the viewer's generations in full; NotFound for anyone else's."""
    storage = get_storage()
    with uow() as session:
        (generation,) = service.owned(session, user_id=viewer.user_id, generation_ids=[generation_id])
        images = service.images_of(session, [generation.id])
        order = {ImageType.FULL: 0, ImageType.MEDIUM: 1, ImageType.THUMBNAIL: 2}
        images.sort(key=lambda i: (i.variation_index or 0, order.get(i.type, 3)))
        derivatives = [
            Derivative(label=f"Image {(i.variation_index or 0) + 1} · {DERIVATIVE_LABELS.get(i.type, i.type.value)}",
                       size=f"{i.width}x{i.height}", bytes=_bytes(i.bytes), url=storage.url(i.storage_key))
            for i in images
        ]
        preview = next((i for i in images if i.type is ImageType.MEDIUM), None) or \
            next((i for i in images if i.type is ImageType.FULL), None)
        attempts = [
            Attempt(provider=str(a.get("provider") or "—"), status=str(a.get("status") or "—"),
                    error=str(a.get("error_code") or ""),
                    latency=f"{a['latency_ms']} ms" if a.get("latency_ms") is not None else "—")
            for a in generation.attempts
        ]
        seed = generation.seed_used if generation.seed_used is not None else generation.seed_requested
        return Detail(
            id=generation.id, prompt=generation.prompt, negative_prompt=generation.negative_prompt,
            status=_status(generation).value, status_color=STATUS_COLORS[_status(generation)],
            seed="" if seed is None else str(seed), size=f"{generation.width}x{generation.height}",
            steps=str(generation.steps), guidance=f"{generation.guidance_scale:g}",
            output_format=generation.output_format.value.upper(), variations=str(generation.num_variations),
            provider_requested=generation.provider_requested or "any",
            provider_used=generation.provider_used or "—",
            created=_when(generation.created_at), started=_when(generation.started_at),
            completed=_when(generation.completed_at),
            processing=f"{generation.processing_time_ms} ms" if generation.processing_time_ms is not None else "—",
            credits=str(generation.credits_charged), error=generation.error_message or "",
            favorite=generation.is_favorite, preview_url=storage.url(preview.storage_key) if preview else "",
            reuse_url=reuse_url(generation), derivatives=derivatives, attempts=attempts,
        )


def set_favorite(viewer: Viewer, *, generation_id: str, favorite: bool) -> bool:
    with uow() as session:
        return service.set_favorite(session, user_id=viewer.user_id, generation_id=generation_id, favorite=favorite)


def delete_rows(viewer: Viewer, *, generation_ids: list[str]) -> list[str]:
    """Delete the viewer's generations; returns the storage keys whose files the caller removes next."""
    with uow() as session:
        return service.delete_generations(session, user_id=viewer.user_id, generation_ids=generation_ids)
