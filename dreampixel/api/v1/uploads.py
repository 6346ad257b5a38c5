"""/api/v1/uploads and /api/v1/images: reference images in, image metadata out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dreampixel.api.deps import ApiCaller, require
from dreampixel.api.downloads import image_download
from dreampixel.core.db import uow
from dreampixel.core.errors import DreamPixelError, ValidationFailed
from dreampixel.core.settings import settings
from services.images import references
from services.images.schemas import ImagePublic

router = APIRouter(tags=["images"])


_BINARY = {"schema": {"type": "string", "format": "binary"}}
IMAGE_FILES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": _BINARY, "image/jpeg": _BINARY, "image/webp": _BINARY},
          "description": "The image file, with a Content-Disposition attachment name"},
}


class UrlUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2048)


async def _read_upload(request: Request) -> tuple[bytes, str]:
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_image_size + 64 * 1024:
        raise DreamPixelError(f"Uploads can be at most {settings.max_image_size // (1024 * 1024)} MB.",
                              status_code=413, code="image_too_large")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5, max_part_size=settings.max_image_size + 1)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationFailed("Send the image in a form field named 'file'.",
                                   errors=[{"field": "file", "message": "Required."}])
        data = await upload.read(settings.max_image_size + 1)
        return data, "upload"
    if content_type.startswith("application/json"):
        try:
            body = UrlUpload.model_validate_json(await request.body())
        except ValueError as error:
            raise ValidationFailed("Send {\"url\": \"https://...\"} or a multipart file.",
                                   errors=[{"field": "url", "message": "A URL is required."}]) from error
        return await references.fetch_bytes(body.url), "url"
    raise DreamPixelError("Send a multipart/form-data body with a 'file' field, or JSON with a 'url'.",
                          status_code=415, code="unsupported_media_type")


@router.post(
    "/uploads",
    status_code=201,
    response_model=ImagePublic,
    responses={200: {"model": ImagePublic, "description": "The same bytes were uploaded before: that image"}},
)
async def upload_reference(request: Request, caller: ApiCaller = require("uploads:write")) -> JSONResponse:
    """Store a reference image (PNG, JPEG or WebP); the same bytes uploaded twice are stored once."""
    data, source = await _read_upload(request)
    saved = await references.save(caller.user_id, data, source=source, unit_of_work=uow)
    return JSONResponse(saved.image.model_dump(mode="json"), status_code=201 if saved.created else 200)


@router.get("/images/{image_id}")
def get_image(image_id: str, caller: ApiCaller = require("images:read")) -> ImagePublic:
    with uow() as session:
        image = references.get_for_user(session, user_id=caller.user_id, image_id=image_id)
        return ImagePublic.of(image)


@router.get("/images/{image_id}/download", response_class=Response, responses=IMAGE_FILES)
async def download_image(image_id: str, caller: ApiCaller = require("images:read"),
                         format: str = "png") -> Response:
    """The full-size image as `format` (png, jpeg or webp); a PNG carries the generation's parameters."""
    return await image_download(caller.user_id, image_id, format)
