"""Who is signed in: the cookie resolved on the server, shown as a few display values.

The session cookie is httpOnly, so the browser's code never sees it; the backend reads it
from the websocket's request headers (`router.headers.cookie`, never sent to the browser)
and resolves it anew for every handler that touches private data, so a revoked session or
a suspended user is refused at once.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from states.edge import accounts as portal
from states.edge.accounts import Viewer

SIGNED_OUT_URL = "/api/auth/signed-out"


async def current_viewer(state: rx.State) -> Viewer | None:
    """The signed-in user of the browser that sent the event, checked against the database now."""
    return await asyncio.to_thread(portal.current_viewer, state.router.headers.cookie)


async def require_user(state: rx.State) -> Viewer | None:
    """For handlers that touch private data: the viewer, or None (then return `to_login(state)`)."""
    viewer = await current_viewer(state)
    return viewer


def to_login(state: rx.State) -> EventSpec:
    """Send a signed-out visitor to /login, coming back here afterwards."""
    url = state.router.url
    path = url.path.rstrip("/") or "/"  # the router reports "/account/" for /account
    here = path + (f"?{url.query}" if url.query else "")
    return rx.redirect(f"/login?next={quote(here, safe='')}")


def leave_for(url: str) -> EventSpec:
    """A full page load (not client-side routing): /api routes set or drop the session cookie."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


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

    @rx.event
    async def load(self) -> None:
        self._show(await current_viewer(self))

    @rx.event
    async def sign_out(self) -> EventSpec:
        """Revoke this browser's session row, then let /api/auth/signed-out drop the cookie."""
        viewer = await current_viewer(self)
        if viewer is not None:
            await asyncio.to_thread(portal.sign_out, viewer)
        self._show(None)
        from states.account import AccountState  # imported here: AccountState builds on this module

        (await self.get_state(AccountState)).forget()
        return leave_for(SIGNED_OUT_URL)
