"""`GET /api/health`: 200 when every dependency answers, 503 when one is down."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.health import service as health_service

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Readiness of the app and its dependencies",
    responses={503: {"description": "A dependency is down; the body says which"}},
)
async def health() -> JSONResponse:
    report: dict[str, Any] = await health_service.check()
    return JSONResponse(report, status_code=503 if report["status"] == "degraded" else 200)
