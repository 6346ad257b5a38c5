"""Health routes for people and load balancers.

- `GET /api/health`: every dependency and the providers; 200, or 503 when one is down.
- `GET /api/health/live`: the process answers (touches nothing else); a restart is the cure when it does not.
- `GET /api/health/ready`: the database, Redis (when configured) and storage answer; 503 names the one
  that does not, so a load balancer stops sending traffic here until it comes back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dreampixel.api.v1.providers import public_statuses
from services.health import service as health_service
from services.health.schemas import HealthReport, Liveness, ReadinessReport

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


@router.get("/health/live", summary="The process is up", response_model=Liveness)
async def live() -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/health/ready",
    summary="Whether this process can serve: database, Redis and storage answer",
    response_model=ReadinessReport,
    responses={503: {"model": ReadinessReport, "description": "A dependency is down; `failed` names it"}},
)
async def ready() -> JSONResponse:
    report = await health_service.ready()
    body = {**report, "checks": {name: {key: value for key, value in check.items() if key != "detail"}
                                 for name, check in report["checks"].items()}}
    return JSONResponse(body, status_code=503 if report["failed"] else 200)
