"""Demo marketplace seeds for a fresh install (the demo accounts are made by `python -m dreampixel seed-demo`)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass

from PIL import Image as PILImage

from dreampixel.core.db import uow
from dreampixel.core.logging import get_logger
from dreampixel.core.models import (
    Image,
    ImageStatus,
    ImageType,
    ModerationStatus,
    Seed,
    SeedCategory,
    utcnow,
)
from dreampixel.core.settings import settings
from services.images import repository as image_rows
from services.providers.base import GenerationRequest
from services.providers.local import LocalProvider
from services.storage import get_storage
from services.storage.base import Storage

log = get_logger(__name__)


@dataclass(frozen=True)
class DemoSeed:
    seed_number: int
    title: str
    description: str
    category: SeedCategory
    prompt: str
    featured: bool = False


DEMO_SEEDS = (
    DemoSeed(424242, "Golden hour at sea", "A warm sun sinking into a calm ocean.", SeedCategory.LANDSCAPE,
             "a sunset over the ocean, golden hour, calm water", featured=True),
    DemoSeed(777001, "Alpine dawn", "Snowy ridges under a pastel morning sky.", SeedCategory.LANDSCAPE,
             "snowy mountains at dawn, pastel sky, mist"),
    DemoSeed(131313, "Neon city nights", "A skyline glowing in magenta and cyan.", SeedCategory.OTHER,
             "neon city skyline at night, magenta and cyan glow", featured=True),
    DemoSeed(900900, "Forest under the stars", "A quiet pine forest beneath a sky full of stars.",
             SeedCategory.LANDSCAPE, "night sky full of stars over a pine forest"),
    DemoSeed(280280, "Desert dunes", "Rolling dunes under a hot afternoon sun.", SeedCategory.LANDSCAPE,
             "desert dunes under a hot sun, orange sand"),
    DemoSeed(555123, "Summer anime sky", "Bright, clean clouds in a saturated summer sky.", SeedCategory.ANIME,
             "anime style summer sky, fluffy clouds, bright blue", featured=True),
    DemoSeed(314159, "Violet flow", "Soft flowing shapes in violet and teal.", SeedCategory.ABSTRACT,
             "abstract flowing shapes, violet and teal, soft light"),
    DemoSeed(860860, "Portrait in violet light", "A soft studio portrait mood in purple tones.",
             SeedCategory.PORTRAIT, "portrait, soft violet studio light, bokeh"),
)


async def seed_marketplace(*, creator_id: str) -> None:
    """Render, store and publish the demo seeds as `creator_id`'s, each in its own unit of work."""
    provider = LocalProvider()
    storage = get_storage()
    for demo in DEMO_SEEDS:
        request = GenerationRequest(prompt=demo.prompt, seed=demo.seed_number, width=768, height=768)
        rendered = (await asyncio.to_thread(provider.render, request))[0]
        images = await _store_example(storage, creator_id, demo, rendered.data)
        with uow() as session:
            image_rows.add(session, *images)
            session.add(
                Seed(
                    seed_number=demo.seed_number,
                    creator_id=creator_id,
                    title=demo.title,
                    description=demo.description,
                    category=demo.category,
                    recipe={"prompt": demo.prompt, "negative_prompt": "", "width": 768, "height": 768,
                            "steps": 30, "guidance_scale": 7.0, "provider": "local"},
                    example_image_ids=[images[0].id],
                    featured=demo.featured,
                    moderation_status=ModerationStatus.APPROVED,
                    moderated_by_id=creator_id,
                    moderated_at=utcnow(),
                    published_at=utcnow(),
                )
            )
    log.info("demo.seeded", seeds=len(DEMO_SEEDS))


async def _store_example(storage: Storage, owner_id: str, demo: DemoSeed, png: bytes) -> list[Image]:
    """Store the full PNG and a WebP thumbnail; returns the Image rows (full first)."""
    full_key = f"seeds/{demo.seed_number}/full.png"
    thumb_key = f"seeds/{demo.seed_number}/thumb.webp"
    source = PILImage.open(io.BytesIO(png))
    thumb = source.copy()
    thumb.thumbnail((256, 256), PILImage.Resampling.LANCZOS, reducing_gap=2.0)
    thumb_bytes = io.BytesIO()
    thumb.save(thumb_bytes, "WEBP", quality=settings.thumbnail_quality, method=4)
    await storage.put(full_key, png, content_type="image/png", cache_seconds=settings.cache_ttl_generation)
    await storage.put(thumb_key, thumb_bytes.getvalue(), content_type="image/webp",
                      cache_seconds=settings.cache_ttl_generation)
    full = Image(user_id=owner_id, type=ImageType.FULL, status=ImageStatus.READY, storage_key=full_key,
                 url=storage.url(full_key, public=True), width=source.width, height=source.height, bytes=len(png),
                 content_type="image/png", sha256=hashlib.sha256(png).hexdigest(), meta={"seed_demo": demo.title})
    small = Image(user_id=owner_id, type=ImageType.THUMBNAIL, status=ImageStatus.READY, storage_key=thumb_key,
                  url=storage.url(thumb_key, public=True), width=thumb.width, height=thumb.height,
                  bytes=thumb_bytes.tell(), content_type="image/webp",
                  sha256=hashlib.sha256(thumb_bytes.getvalue()).hexdigest(), parent_id=full.id)
    return [full, small]
