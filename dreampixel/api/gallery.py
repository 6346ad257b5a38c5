"""/api/gallery: what the gallery page needs over plain HTTP, authenticated by the session cookie."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from dreampixel.api.deps import SessionCaller
from dreampixel.api.downloads import image_download
from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound
from services.gallery import archive

router = APIRouter(prefix="/gallery", tags=["gallery"])


@router.get("/download.zip", include_in_schema=False)
def download_zip(caller: SessionCaller, ids: str = Query(..., max_length=4000)) -> StreamingResponse:
    """A ZIP of the caller's chosen generations (comma-separated ids): each image and its parameters."""
    generation_ids = [part.strip() for part in ids.split(",") if part.strip()]
    if not generation_ids:
        raise NotFound("Choose at least one image.")
    with uow() as session:
        entries = archive.entries(session, user_id=caller.user_id, generation_ids=generation_ids)
    name = f"dreampixel-{datetime.now(UTC):%Y%m%d-%H%M%S}.zip"
    return StreamingResponse(
        archive.stream(entries),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


@router.get("/images/{image_id}/download", include_in_schema=False)
async def download_image(image_id: str, caller: SessionCaller, format: str = "png") -> Response:
    """One of the caller's images as PNG (with its parameters), JPEG or WebP."""
    return await image_download(caller.user_id, image_id, format)
