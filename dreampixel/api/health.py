"""`GET /api/health`: 200 when every dependency answers, 503 when one is down."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dreampixel.api.v1.providers import public_statuses
from services.health import service as health_service
from services.health.schemas import HealthReport

router = APIRouter(tags=["health"])


def public_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without details: error texts, bucket names and provider accounts stay in the
    logs and in `python -m dreampixel check`, since anyone may call this route."""
    checks: dict[str, Any] = {}
    for name, check in report["checks"].items():
        if isinstance(check, list):
            checks[name] = public_statuses(check)
        else:
            checks[name] = {key: value for key, value in check.items() if key != "detail"}
    return {**report, "checks": checks}


# The report is sent as check() wrote it (a 503 also carries it): the model documents it.
@router.get(
    "/health",
    summary="Readiness of the app and its dependencies",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A dependency is down; the body says which"}},
)
async def health() -> JSONResponse:
    report: dict[str, Any] = public_report(await health_service.check())
    return JSONResponse(report, status_code=503 if report["status"] == "degraded" else 200)
