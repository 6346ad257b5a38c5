"""Who is signed in: the cookie resolved on the server, shown as a few display values.

The session cookie is httpOnly, so the browser's code never sees it; the backend reads it
from the websocket's request headers (`router.headers.cookie`, never sent to the browser)
and resolves it anew for every handler that touches private data (`viewer_required`), so a
revoked session or a suspended user is refused at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Concatenate, ParamSpec, TypeVar, overload
from urllib.parse import quote

import reflex as rx
from reflex.event import EventHandler, EventSpec
from reflex.istate.proxy import StateProxy

from states.edge import accounts
from states.edge.accounts import Viewer

SIGNED_OUT_URL = "/api/auth/signed-out"

S = TypeVar("S", bound=rx.State)
P = ParamSpec("P")
R = TypeVar("R")


async def current_viewer(state: rx.State) -> Viewer | None:
    """The signed-in user of the browser that sent the event, checked against the database now."""
    return await asyncio.to_thread(accounts.current_viewer, state.router.headers.cookie)


def background(handler: Callable[..., Any], /) -> EventHandler:
    """`@rx.event(background=True)`, typed as plain `@rx.event` is (an EventHandler, see tools/mypy_reflex.py).

    Reflex's decorator factory gives mypy no handler type, so a page calling such a handler with
    arguments (`State.open_dialog("")`) would not type-check. Use it for handlers that wait on
    the database, storage or the network: they hold the page's lock only inside `async with
    self` blocks. Stack it above `viewer_required`.
    """
    return rx.event(handler, background=True)


def state_lock(state: Any) -> AbstractAsyncContextManager[Any]:
    """`async with state_lock(self):` around state changes in a helper shared by both kinds of handler.

    A background event's state takes the page's lock for the block (`async with self`); a
    foreground handler holds the lock for its whole run already, so the block adds nothing.
    """
    return state if isinstance(state, StateProxy) else contextlib.nullcontext(state)


def to_login(state: rx.State) -> EventSpec:
    """Send a signed-out visitor to /login, coming back here afterwards."""
    url = state.router.url
    path = url.path.rstrip("/") or "/"  # the router reports "/account/" for /account
    here = path + (f"?{url.query}" if url.query else "")
    return rx.redirect(f"/login?next={quote(here, safe='')}")


def leave_for(url: str) -> EventSpec:
    """A full page load (not client-side routing): /api routes set or drop the session cookie."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


@overload
def viewer_required(handler: Callable[Concatenate[S, Viewer, P], R], /) -> Callable[Concatenate[S, P], R]: ...


@overload
def viewer_required(
    *, signed_out: Callable[[S], None]
) -> Callable[[Callable[Concatenate[S, Viewer, P], R]], Callable[Concatenate[S, P], R]]: ...


def viewer_required(
    handler: Callable[Concatenate[S, Viewer, P], R] | None = None, /, *, signed_out: Callable[[S], None] | None = None
) -> Any:
    """Guard a handler that touches private data, written as `async def h(self, viewer, ...)`.

    Every call resolves the session cookie again; a signed-out caller runs `signed_out(self)`
    (to drop what the page showed) and goes to /login, otherwise the viewer is passed in.
    Reflex sees the handler's own parameters without `viewer`, so its arguments parse as before.

    Under `@background` (`@rx.event(background=True)`) the same guard runs before the handler, without the page's
    state lock: the cookie comes from the event's own router data and the session is looked up in
    the database unlocked; only `signed_out` takes the lock (`async with self`) to change the page.
    The handler then holds the lock only around its own state reads and changes.
    """
    if handler is None:
        return functools.partial(_guard, signed_out=signed_out)
    return _guard(handler, signed_out=signed_out)


def _guard(handler: Callable[..., Any], *, signed_out: Callable[[Any], None] | None) -> Any:
    signature = inspect.signature(handler)
    state, viewer_parameter, *rest = signature.parameters.values()
    if viewer_parameter.name != "viewer":
        raise TypeError(f"{handler.__qualname__}: a guarded handler takes `viewer` right after `self`")

    async def resolve(self: Any) -> Viewer | None:
        viewer = await current_viewer(self)
        if viewer is None and signed_out is not None:
            async with state_lock(self):  # a background event changes the page under its lock
                signed_out(self)
        return viewer

    @functools.wraps(handler)
    async def returning(self: Any, *args: Any, **kwargs: Any) -> Any:
        viewer = await resolve(self)
        if viewer is None:
            return to_login(self)
        return await handler(self, viewer, *args, **kwargs)

    @functools.wraps(handler)
    async def yielding(self: Any, *args: Any, **kwargs: Any) -> Any:
        viewer = await resolve(self)
        if viewer is None:
            yield to_login(self)
            return
        async for update in handler(self, viewer, *args, **kwargs):
            yield update

    # Reflex tells the two kinds apart (and refuses sync background tasks) by the function itself.
    if inspect.isasyncgenfunction(handler):
        guarded: Any = yielding
    elif inspect.iscoroutinefunction(handler):
        guarded = returning
    else:
        raise TypeError(f"{handler.__qualname__}: a guarded handler is async (it reads the database)")
    # What Reflex reads to parse an event's arguments: the handler's parameters without `viewer`.
    guarded.__signature__ = signature.replace(parameters=[state, *rest])
    guarded.__annotations__ = {name: hint for name, hint in handler.__annotations__.items() if name != "viewer"}
    return guarded


class SessionState(rx.State):
    """The navigation bar's view of the visitor; every page loads it when the bar mounts."""

    signed_in: rx.Field[bool] = rx.field(False)
    user_name: rx.Field[str] = rx.field("")
    user_email: rx.Field[str] = rx.field("")
    role: rx.Field[str] = rx.field("")
    email_verified: rx.Field[bool] = rx.field(False)

    def _show(self, viewer: Viewer | None) -> None:
        self.signed_in = viewer is not None
        self.user_name = viewer.name if viewer else ""
        self.user_email = viewer.email if viewer else ""
        self.role = viewer.role if viewer else ""
        self.email_verified = viewer.verified if viewer else False

    @background
    async def load(self) -> None:
        viewer = await current_viewer(self)  # the database, read before taking the tab's lock
        async with self:
            self._show(viewer)
