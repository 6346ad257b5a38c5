"""Reflex configuration, derived from the one Settings object (dreampixel.core.settings)."""

import reflex as rx
from reflex.constants import StateManagerMode
from reflex.plugins import RadixThemesPlugin, SitemapPlugin

from components.theme import radix_theme
from dreampixel.core.settings import settings

config = rx.Config(
    app_name="dreampixel",
    # One port for everything in production (`reflex run --env prod`): the built frontend,
    # the event websocket and /api are served by one server. Development runs the Vite dev
    # server on this port and needs the backend elsewhere: `reflex run --backend-port N`.
    frontend_port=settings.port,
    backend_port=settings.port,
    deploy_url=settings.base_url,
    # Only our own pages may call the backend with cookies or open the event websocket
    # (Reflex passes this to its CORS middleware and to socket.io's origin check).
    cors_allowed_origins=settings.allowed_origins,
    # X-Forwarded-For is resolved once for Reflex and /api by TRUSTED_PROXIES
    # (dreampixel.api.middleware.ClientAddressMiddleware), so Reflex must not apply it again.
    trusted_proxy_hops=0,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Several app processes share state through Redis; one process keeps it on disk.
    state_manager_mode=StateManagerMode.REDIS if settings.redis_url else StateManagerMode.DISK,
    redis_url=settings.redis_url or None,
    # How long one event may hold a page's state lock in Redis before Reflex takes it back and
    # fails the event (LockExpiredError; the visitor sees "An error occurred."). Handlers that
    # wait on the database, storage or the network are background events holding the lock only
    # to read and change state (states/session.py `background`), so this bounds only those short
    # steps, the foreground handlers and upload handlers (Reflex runs these in the foreground).
    # 30 s instead of Reflex's 10 s: an overloaded process (the event loop starved on a small
    # machine) must not turn a submit that went through into an error. The cost: a lock left
    # by a process that died mid-event stalls that one tab until it expires. Operators may
    # override it with REFLEX_REDIS_LOCK_EXPIRATION (milliseconds).
    redis_lock_expiration=30_000,
    default_color_mode="light",
    # Our own engine (dreampixel.core.db) owns the database; Reflex's rx.Model is not used.
    db_url=None,
    plugins=[RadixThemesPlugin(theme=radix_theme())],
    disable_plugins=[SitemapPlugin],
)
