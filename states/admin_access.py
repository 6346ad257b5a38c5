"""Who may use the admin console: `admin_required` guards every handler of its states.

A signed-out caller goes to /login; a signed-in caller without the role gets the not-found
page (`allowed` stays False) and the handler never runs, so a crafted event changes nothing.
The edge checks the role again in its own unit of work (services.admin.service.staff).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Callable
from typing import Any

import reflex as rx

from dreampixel.core.errors import DreamPixelError
from dreampixel.core.models import Role
from services.admin.service import ADMINS, MODERATORS, NoSuchPage
from services.events import service as events
from services.storage import delete_many
from states.edge.accounts import Viewer
from states.session import current_viewer, to_login

__all__ = ["ADMINS", "MODERATORS", "AdminAccessMixin", "AdminDetailMixin", "AdminWatchMixin", "admin_required",
           "call_edge", "staff_viewer"]

# Without any event for this long, a page's watcher ends; reloading the page starts it again.
WATCH_IDLE_SECONDS = 1800.0
# A watcher that has not ticked for this long is taken for dead and another may start.
WATCH_STALE_SECONDS = 60.0


class AdminAccessMixin(rx.State, mixin=True):
    # `checked` turns True once the role was looked up; until then the page shows nothing.
    checked: rx.Field[bool] = rx.field(False)
    allowed: rx.Field[bool] = rx.field(False)
    is_admin: rx.Field[bool] = rx.field(False)
    notice: rx.Field[str] = rx.field("")
    problem: rx.Field[str] = rx.field("")

    def _forget(self) -> None:
        """Drop what the page showed; each state adds its own fields."""


def _permitted(viewer: Viewer | None, roles: frozenset[Role]) -> bool:
    return viewer is not None and viewer.role in {role.value for role in roles}


def admin_required(handler: Callable[..., Any] | None = None, /, *,
                   roles: frozenset[Role] = ADMINS) -> Any:
    """Guard `async def h(self, viewer, ...)`: runs only for an active account holding one of `roles`."""
    if handler is None:
        return functools.partial(admin_required, roles=roles)
    signature = inspect.signature(handler)
    state, viewer_parameter, *rest = signature.parameters.values()
    if viewer_parameter.name != "viewer":
        raise TypeError(f"{handler.__qualname__}: a guarded handler takes `viewer` right after `self`")

    async def resolve(self: Any) -> tuple[Viewer | None, Any]:
        viewer = await current_viewer(self)
        self.checked = True
        if _permitted(viewer, roles):
            self.allowed = True
            self.is_admin = viewer is not None and viewer.role == Role.ADMIN.value
            return viewer, None
        self.allowed = self.is_admin = False
        self._forget()
        return None, (to_login(self) if viewer is None else None)

    @functools.wraps(handler)
    async def returning(self: Any, *args: Any, **kwargs: Any) -> Any:
        viewer, refusal = await resolve(self)
        if viewer is None:
            return refusal
        return await handler(self, viewer, *args, **kwargs)

    @functools.wraps(handler)
    async def yielding(self: Any, *args: Any, **kwargs: Any) -> Any:
        viewer, refusal = await resolve(self)
        if viewer is None:
            if refusal is not None:
                yield refusal
            return
        async for update in handler(self, viewer, *args, **kwargs):
            yield update

    if inspect.isasyncgenfunction(handler):
        guarded: Any = yielding
    elif inspect.iscoroutinefunction(handler):
        guarded = returning
    else:
        raise TypeError(f"{handler.__qualname__}: a guarded handler is async")
    guarded.__signature__ = signature.replace(parameters=[state, *rest])
    guarded.admin_roles = roles  # read by the authorization tests, which skip what a role may do
    guarded.__annotations__ = {name: hint for name, hint in handler.__annotations__.items() if name != "viewer"}
    return guarded


async def staff_viewer(state: AdminAccessMixin, roles: frozenset[Role] = ADMINS, *,
                       forget: bool = False) -> Viewer | None:
    """For a background handler, inside `async with state`: the viewer if they hold one of `roles` now.

    Anyone else gets None; with `forget`, a page that was showing data drops it (a session ended
    or a role taken away while the page was open). Nothing changes for a caller who never had it.
    """
    viewer = await current_viewer(state)
    if _permitted(viewer, roles):
        return viewer
    if forget:
        state.allowed = state.is_admin = False
        state._forget()
    return None


async def call_edge(state: AdminAccessMixin, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Run an edge function off the event loop; a refusal hides the page, other errors become `problem`."""
    try:
        return True, await asyncio.to_thread(fn, *args, **kwargs)
    except NoSuchPage:
        state.allowed = state.is_admin = False
        state._forget()
    except DreamPixelError as error:
        state.problem = error.errors[0]["message"] if error.errors else error.message
    except ValueError as error:  # a malformed amount or a tier/role not on the list
        state.problem = f"Not a valid value: {error}"
    return False, None


class AdminDetailMixin(AdminAccessMixin, mixin=True):
    """A console page about one row named in its URL (`/admin/users/[user_id]`): it reads the row
    through one edge function, acts on it through another, and forgets it once deleted.

    A state says which route parameter names the row (`_parameter`), how to read it (`_read`)
    and how to show what was read (`_show`); `_open` and `_act` do the rest.
    """

    deleted: rx.Field[bool] = rx.field(False)

    def _parameter(self) -> str:
        raise NotImplementedError

    def _read(self) -> Callable[..., dict[str, Any]]:
        """The edge function answering the detail: `fn(viewer, **{parameter: id})`."""
        raise NotImplementedError

    def _show(self, detail: dict[str, Any]) -> None:
        raise NotImplementedError

    def _target(self) -> str:
        return str(self.router.page.params.get(self._parameter(), ""))

    async def _refresh(self, viewer: Viewer) -> None:
        ok, detail = await call_edge(self, self._read(), viewer, **{self._parameter(): self._target()})
        if ok:
            self._show(detail)
        else:
            self._forget()

    async def _open(self, viewer: Viewer) -> None:
        """What `load` does: clear the messages, then read the row the URL names."""
        self.notice = self.problem = ""
        self.deleted = False
        await self._refresh(viewer)

    async def _act(self, viewer: Viewer, fn: Callable[..., tuple[str, list[str]]], action: str,
                   **kwargs: Any) -> Any:
        """Run one edge action `fn(viewer, **{parameter: id}, action=..., **kwargs)` -> (message, files).

        Files of deleted rows are removed after the edge's commit; a deleted row is forgotten,
        any other action re-reads it. Returns the toast to show, or None after a refusal.
        """
        self.notice = self.problem = ""
        ok, result = await call_edge(self, fn, viewer, **{self._parameter(): self._target()}, action=action, **kwargs)
        if not ok:
            return None
        message, files = result
        if files:
            await delete_many(files)
        self.notice = message
        if action == "delete":
            self._forget()
            self.deleted = True
        else:
            await self._refresh(viewer)
        return rx.toast.success(message)


class AdminWatchMixin(AdminAccessMixin, mixin=True):
    """A console page that re-reads what it shows when the admin event channel reports a change,
    while it is open: its `watch` background handler calls `_follow`, `load` starts it."""

    _watch_tick: float = 0.0
    _watching: bool = False

    def _wants(self, event: dict[str, Any]) -> bool:
        """Whether an event on the admin channel changes what this page shows."""
        return True

    async def _on_change(self, viewer: Viewer) -> None:
        raise NotImplementedError

    @rx.event
    async def stop_watching(self) -> None:
        self._watching = False

    async def _follow(self, *, every: float) -> None:
        """Re-read at most once per `every` seconds after a wanted event; nothing polls the database.

        The role is checked before subscribing (a crafted event from anyone else subscribes to
        nothing) and again before each re-read (a session ended or a role taken away while the
        page was open stops the watcher and drops what the page showed).
        """
        async with self:
            if time.time() - self._watch_tick < WATCH_STALE_SECONDS:
                return  # another watcher serves this page
            if await staff_viewer(self) is None:
                return
            self._watch_tick = time.time()
        last_event = last_refresh = time.time()
        dirty = False
        async with events.subscribe(events.ADMIN_CHANNEL) as stream:
            iterator = aiter(stream)
            pending: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(anext(iterator))
            try:
                while True:
                    done, _ = await asyncio.wait({pending}, timeout=every)
                    if done:
                        event, pending = pending.result(), asyncio.ensure_future(anext(iterator))
                        if self._wants(event):
                            dirty, last_event = True, time.time()
                    async with self:
                        if not self._watching or time.time() - last_event > WATCH_IDLE_SECONDS:
                            self._watch_tick = 0.0
                            return
                        self._watch_tick = time.time()
                        if dirty and time.time() - last_refresh >= every:
                            viewer = await staff_viewer(self, forget=True)
                            if viewer is None:
                                return
                            await self._on_change(viewer)
                            dirty, last_refresh = False, time.time()
            finally:
                pending.cancel()
