"""A generation's delivered files: derived, stored under keys of their own, and their image rows.

Keys depend on the generation, the run (the retry count the run claimed the row at) and the
variation, never on the owner: a second run of the same generation writes beside the first,
so a run that loses the race removes only its own files, never what another run delivered.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import Session

from dreampixel.core.models import Generation, ImageType
from dreampixel.core.settings import settings
from services.images import pool
from services.images import repository as image_rows
from services.images.pipeline import Derived
from services.providers.base import ProviderResult
from services.storage import get_storage

# (variation index, its derived files), in the order the provider returned them.
Output = tuple[int, Derived]


def storage_key(generation: Generation, index: int, name: str, *, run: int) -> str:
    return f"generations/{generation.id}/{run}/{index}/{name}"


def _names(generation: Generation) -> tuple[str, str, str]:
    """The file names of one variation: full size, medium, thumbnail."""
    return f"full.{generation.output_format.value}", "medium.webp", "thumb.webp"


async def store(generation: Generation, result: ProviderResult, *, run: int) -> list[Output]:
    """Derive and store every image under this run's keys."""
    storage = get_storage()
    outputs: list[Output] = []
    full_name, medium_name, thumb_name = _names(generation)
    for index, image in enumerate(result.images):
        params = {
            "prompt": generation.prompt, "negative_prompt": generation.negative_prompt, "seed": image.seed,
            "steps": generation.steps, "guidance_scale": generation.guidance_scale, "width": image.width,
            "height": image.height, "provider": result.provider, "model": result.model,
            "generation_id": generation.id, "variation": index,
        }
        derived = await pool.derive_async(image.data, output_format=generation.output_format.value, params=params)
        ttl = settings.cache_ttl_generation
        await asyncio.gather(
            storage.put(storage_key(generation, index, full_name, run=run), derived.full.data,
                        content_type=derived.full.content_type, cache_seconds=ttl),
            storage.put(storage_key(generation, index, medium_name, run=run), derived.medium.data,
                        content_type=derived.medium.content_type, cache_seconds=ttl),
            storage.put(storage_key(generation, index, thumb_name, run=run), derived.thumbnail.data,
                        content_type=derived.thumbnail.content_type, cache_seconds=ttl),
        )
        outputs.append((index, derived))
    return outputs


def record(session: Session, generation: Generation, outputs: list[Output], *, run: int) -> None:
    """The image rows, in one multi-row INSERT.

    No earlier run can have left rows behind: they are written only here, in the transaction
    that moves the generation to `succeeded`, and a succeeded generation is never run again.
    """
    full_name, medium_name, thumb_name = _names(generation)
    rows: list[dict[str, Any]] = []
    for index, derived in outputs:
        full = image_rows.ready_row(
            user_id=generation.user_id, generation_id=generation.id, parent_id=None, kind=ImageType.FULL,
            storage_key=storage_key(generation, index, full_name, run=run), encoded=derived.full, variation_index=index,
            perceptual_hash=derived.perceptual_hash, meta={"seed": generation.seed_used},
        )
        rows.append(full)
        for kind, name, encoded in ((ImageType.MEDIUM, medium_name, derived.medium),
                                    (ImageType.THUMBNAIL, thumb_name, derived.thumbnail)):
            rows.append(image_rows.ready_row(
                user_id=generation.user_id, generation_id=generation.id, parent_id=full["id"], kind=kind,
                storage_key=storage_key(generation, index, name, run=run), encoded=encoded, variation_index=index,
            ))
    image_rows.insert_rows(session, rows)


async def discard(generation: Generation, *, runs: range) -> None:
    """Remove every file `runs` of this generation may have stored: a run that lost, or its predecessors.

    Only ever called with runs other than the one whose rows were committed, so delivered files stay.
    """
    storage = get_storage()
    for run in runs:
        for index in range(generation.num_variations):
            for name in _names(generation):
                await storage.delete(storage_key(generation, index, name, run=run))
