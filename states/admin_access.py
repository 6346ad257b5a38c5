"""Who may use the admin console: `admin_required` guards every handler of its states.

A signed-out caller goes to /login; a signed-in caller without the role gets the not-found
page (`allowed` stays False) and the handler never runs, so a crafted event changes nothing.
The edge checks the role again in its own unit of work (services.admin.service.staff).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

import reflex as rx

from dreampixel.core.errors import DreamPixelError
from dreampixel.core.models import Role
from services.admin.service import ADMINS, MODERATORS, NoSuchPage
from states.edge.accounts import Viewer
from states.session import current_viewer, to_login

__all__ = ["ADMINS", "MODERATORS", "AdminAccessMixin", "admin_required", "call_edge"]


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
    guarded.__annotations__ = {name: hint for name, hint in handler.__annotations__.items() if name != "viewer"}
    return guarded


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
