"""Downloading one image in a chosen format: shared by the gallery's cookie route and the v1 API."""

from __future__ import annotations

import asyncio
from functools import partial

from fastapi.responses import Response

from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound
from dreampixel.core.settings import settings
from services.gallery import downloads
from services.images.pipeline import CONTENT_TYPES
from services.storage import StorageNotFound, get_storage


def _locate(user_id: str, image_id: str) -> downloads.Source:
    with uow() as session:
        return downloads.locate(session, user_id=user_id, image_id=image_id)


async def image_download(user_id: str, image_id: str, format_: str) -> Response:
    fmt = downloads.parse_format(format_)
    source = await asyncio.to_thread(_locate, user_id, image_id)
    try:
        data = await get_storage().get(source.storage_key)
    except StorageNotFound:
        raise NotFound("The image file is missing from storage.") from None
    if CONTENT_TYPES[fmt] != source.content_type:
        encoded = await asyncio.to_thread(
            partial(downloads.convert, data, fmt, source.params, quality=settings.image_quality)
        )
        data = encoded.data
    return Response(data, media_type=CONTENT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{downloads.filename(source, fmt)}"',
        "Cache-Control": "private, max-age=3600",
    })
