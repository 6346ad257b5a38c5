"""/developers: public, but a signed-in visitor sees the prefix of their own newest API key."""

from __future__ import annotations

import asyncio

import reflex as rx

from states.edge import accounts
from states.session import current_viewer


class DevelopersState(rx.State):
    signed_in: rx.Field[bool] = rx.field(False)
    key_prefix: rx.Field[str] = rx.field("")  # "" when signed out or without a key

    @rx.event
    async def load(self) -> None:
        """on_load: nobody is sent away; a signed-in viewer's key prefix is read."""
        viewer = await current_viewer(self)
        self.signed_in = viewer is not None
        if viewer is None:
            self.key_prefix = ""
            return
        view = await asyncio.to_thread(accounts.account_view, viewer)
        self.key_prefix = view.keys[0].prefix if view.keys else ""
