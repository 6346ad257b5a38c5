"""The REST layer: one FastAPI app answering everything under `/api`, mounted into Reflex.

`create_api()` returns an outer app whose only route is the `/api` mount; Reflex mounts its
own backend (event websocket, `/ping`, `/_upload`) and, in production, the built frontend
behind it. Everything below `/api` is handled by the inner app alone, so an unknown API path
is a problem+json 404 (or 405), never the frontend's HTML page.

Reflex does not run the lifespan of a mounted app: register startup work with
`app.register_lifespan_task` in dreampixel.py, not as a FastAPI lifespan here.
"""

from __future__ import annotations

from fastapi import FastAPI

from dreampixel.api import admin, auth, billing, compat, csrf, files, gallery, health, v1
from dreampixel.api.csrf import CsrfMiddleware
from dreampixel.api.deps import RateLimitHeadersMiddleware
from dreampixel.api.limits import BodyLimitMiddleware
from dreampixel.api.middleware import (
    ClientAddressMiddleware,
    ImmutableAssetsMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from dreampixel.api.oauth import create_oauth_app
from dreampixel.api.problems import install_problem_handlers
from dreampixel.api.webhooks import stripe as stripe_webhooks
from dreampixel.core.logging import configure_logging
from dreampixel.core.metrics import HttpMetricsMiddleware

API_PREFIX = "/api"


def create_api() -> FastAPI:
    """The FastAPI app for `rx.App(api_transformer=...)`; also usable alone in tests."""
    configure_logging()
    outer = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    # Reflex mounts itself (and, in production, the built frontend) inside this app, so this
    # also covers the frontend's files.
    outer.add_middleware(ImmutableAssetsMiddleware)
    # Every body, Reflex's /_upload included, is capped before anything parses it.
    outer.add_middleware(BodyLimitMiddleware)
    outer.add_middleware(SecurityHeadersMiddleware)
    # Outermost: everything inside (the websocket's client_ip, /api, the headers' HTTPS
    # check) sees the client's address and scheme as TRUSTED_PROXIES decides them.
    outer.add_middleware(ClientAddressMiddleware)
    outer.mount(API_PREFIX, create_api_app(), name="api")
    return outer


def create_api_app() -> FastAPI:
    """The `/api` app itself; its routes are relative to the mount (`/health` is `/api/health`)."""
    api = FastAPI(
        title="Dream Pixel API",
        summary="Generate images, manage seeds and receive signed webhooks.",
        version="1",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    # Added first, so it runs inside RequestContextMiddleware (its 403 carries the request id).
    api.add_middleware(CsrfMiddleware)
    api.add_middleware(RequestContextMiddleware)
    # Outermost: RateLimit-* headers also on the 500 that RequestContextMiddleware writes.
    api.add_middleware(RateLimitHeadersMiddleware)
    # Outermost of all: the latency Prometheus sees is the whole answer's.
    api.add_middleware(HttpMetricsMiddleware)
    install_problem_handlers(api)

    api.include_router(health.router)
    api.include_router(files.router)
    api.include_router(auth.router)
    api.mount("/auth/oauth", create_oauth_app())
    api.include_router(csrf.router)
    api.include_router(admin.router)
    api.include_router(gallery.router)
    api.include_router(billing.router)
    api.include_router(stripe_webhooks.router)
    api.include_router(v1.router, prefix="/v1")
    # The original product's routes, kept for its clients (see compat.py).
    api.include_router(compat.router)
    return api
