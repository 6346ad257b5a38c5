"""The seeds marketplace pages: browsing, one seed's detail, and publishing your own.

Public browsing needs no account; favouriting and publishing resolve the session cookie
again in every handler (`viewer_required`). Only display strings reach the browser, never rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any
from urllib.parse import quote

import reflex as rx

from dreampixel.core.errors import DreamPixelError
from services.seeds.service import Sort
from states.edge import seeds
from states.edge.accounts import Viewer
from states.edge.seeds import SeedCard
from states.session import current_viewer, viewer_required

CATEGORIES = ["all", "portrait", "landscape", "anime", "abstract", "other"]


def _card(card: SeedCard) -> dict[str, str]:
    return {k: str(v) for k, v in dataclasses.asdict(card).items()}


class SeedsState(rx.State):
    """/seeds: the featured row and the filtered, sorted grid."""

    featured: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    cards: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    category: rx.Field[str] = rx.field("all")
    query: rx.Field[str] = rx.field("")
    sort: rx.Field[str] = rx.field("popular")
    loading: rx.Field[bool] = rx.field(True)
    loading_more: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    _cursor: str | None = None
    has_more: rx.Field[bool] = rx.field(False)

    async def _fetch(self, cursor: str | None = None) -> tuple[list[dict[str, str]], str | None]:
        category = "" if self.category == "all" else self.category
        sort: Sort = "new" if self.sort == "new" else "popular"
        page, next_cursor = await asyncio.to_thread(seeds.browse, category=category, q=self.query, sort=sort,
                                                    cursor=cursor)
        return [_card(card) for card in page], next_cursor

    async def _reload(self) -> None:
        self.error = ""
        try:
            self.cards, self._cursor = await self._fetch()
        except DreamPixelError as failure:
            self.cards, self._cursor, self.error = [], None, failure.message
        self.has_more = self._cursor is not None
        self.loading = False

    @rx.event
    async def load(self):
        """on_load: `?category=` preselects a tab."""
        wanted = self.router.url.query_parameters.get("category", "all").lower()
        self.category = wanted if wanted in CATEGORIES else "all"
        self.loading = True
        yield
        self.featured = [_card(card) for card in await asyncio.to_thread(seeds.featured)]
        await self._reload()

    @rx.event
    async def load_featured(self) -> None:
        """For the landing page's featured row."""
        self.featured = [_card(card) for card in await asyncio.to_thread(seeds.featured, 6)]

    @rx.event
    async def choose_category(self, category: str):
        if category not in CATEGORIES or category == self.category:
            return
        self.category, self.loading = category, True
        yield
        await self._reload()

    @rx.event
    async def choose_sort(self, sort: str | list[str]):
        if not isinstance(sort, str) or sort not in ("popular", "new") or sort == self.sort:
            return
        self.sort, self.loading = sort, True
        yield
        await self._reload()

    @rx.event
    async def search(self, form: dict[str, Any]):
        self.query = str(form.get("q", "")).strip()[:100]
        self.loading = True
        yield
        await self._reload()

    @rx.event
    async def clear_search(self):
        self.query, self.loading = "", True
        yield
        await self._reload()

    @rx.event
    async def load_more(self):
        if self._cursor is None or self.loading_more:
            return
        self.loading_more = True
        yield
        try:
            more, self._cursor = await self._fetch(self._cursor)
            self.cards = self.cards + more
        except DreamPixelError as failure:
            self.error, self._cursor = failure.message, None
        self.has_more = self._cursor is not None
        self.loading_more = False


class SeedDetailState(rx.State):
    """/seeds/[seed_id]: one seed's images, description and full recipe."""

    found: rx.Field[bool] = rx.field(True)
    loading: rx.Field[bool] = rx.field(True)
    shown_id: rx.Field[str] = rx.field("")
    title: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    creator: rx.Field[str] = rx.field("")
    category: rx.Field[str] = rx.field("")
    seed_number: rx.Field[str] = rx.field("")
    prompt: rx.Field[str] = rx.field("")
    negative_prompt: rx.Field[str] = rx.field("")
    settings: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    images: rx.Field[list[str]] = rx.field(default_factory=list)
    uses: rx.Field[int] = rx.field(0)
    favorites: rx.Field[int] = rx.field(0)
    favorite: rx.Field[bool] = rx.field(False)
    status: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")

    def _requested_id(self) -> str:
        path = self.router.url.path.rstrip("/")
        return path.rsplit("/", 1)[-1] if path.count("/") >= 2 else ""

    @rx.event
    async def load(self) -> None:
        self.loading, self.error = True, ""
        wanted = self._requested_id()
        viewer = await current_viewer(self)
        try:
            detail = await asyncio.to_thread(seeds.detail, wanted, viewer)
        except DreamPixelError:
            self.found, self.loading, self.shown_id = False, False, ""
            return
        self.found = True
        self.shown_id, self.title, self.description = detail.id, detail.title, detail.description
        self.creator, self.category, self.seed_number = detail.creator, detail.category, detail.seed_number
        self.prompt, self.negative_prompt = detail.prompt, detail.negative_prompt
        self.settings = [list(pair) for pair in detail.settings]
        self.images, self.uses, self.favorites = detail.images, detail.uses, detail.favorites
        self.favorite, self.status = detail.favorite, detail.status
        self.loading = False

    @rx.event
    @viewer_required
    async def use_seed(self, viewer: Viewer):
        """Count a use, then open the generate page prefilled from this seed (signed-in visitors:
        generating needs an account, and anonymous clicks would inflate the count)."""
        if not self.shown_id:
            return None
        try:
            recipe = await asyncio.to_thread(seeds.use, viewer, self.shown_id)
        except DreamPixelError as failure:
            self.error = failure.message
            return None
        self.uses += 1
        return rx.redirect(f"/generate?seed_id={quote(recipe['seed_id'], safe='')}")

    @rx.event
    @viewer_required
    async def toggle_favorite(self, viewer: Viewer):
        try:
            self.favorite, self.favorites = await asyncio.to_thread(seeds.toggle_favorite, viewer, self.shown_id)
        except DreamPixelError as failure:
            self.error = failure.message
        return None


class PublishState(rx.State):
    """The "publish a seed" dialog and the "my seeds" list on /seeds (signed-in visitors)."""

    signed_in: rx.Field[bool] = rx.field(False)
    mine: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    options: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    dialog_open: rx.Field[bool] = rx.field(False)
    chosen: rx.Field[str] = rx.field("")
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    notice: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)

    async def _refresh(self) -> bool:
        viewer = await current_viewer(self)
        self.signed_in = viewer is not None
        if viewer is None:
            self.mine, self.options = [], []
            return False
        mine = await asyncio.to_thread(seeds.my_seeds, viewer)
        self.mine = [{k: str(v) for k, v in dataclasses.asdict(row).items()} for row in mine]
        return True

    @rx.event
    async def load(self):
        self.notice = ""
        await self._refresh()
        # /seeds?publish=<generation id> ("Publish as seed" on a Generate card) opens the
        # dialog with that generation chosen.
        wanted = self.router.url.query_parameters.get("publish", "")
        if wanted:
            return PublishState.open_dialog(wanted)
        return None

    @rx.event
    @viewer_required
    async def open_dialog(self, viewer: Viewer, generation_id: str = ""):
        options = await asyncio.to_thread(seeds.publishable, viewer)
        self.options = [{k: str(v) for k, v in dataclasses.asdict(row).items()} for row in options]
        ids = [option["generation_id"] for option in self.options]
        self.chosen = generation_id if generation_id in ids else (ids[0] if ids else "")
        self.errors, self.notice, self.dialog_open = {}, "", True
        return None

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = value

    @rx.event
    def choose(self, generation_id: str) -> None:
        self.chosen = generation_id

    @rx.event
    @viewer_required
    async def publish(self, viewer: Viewer, form: dict[str, Any]):
        self.errors, self.busy = {}, True
        yield
        try:
            await asyncio.to_thread(seeds.publish, viewer, generation_id=self.chosen,
                                    title=str(form.get("title", "")), description=str(form.get("description", "")),
                                    category=str(form.get("category", "other")))
        except DreamPixelError as failure:
            # Field errors show beside their fields; the message says what went wrong overall.
            self.errors = {**{e["field"]: e["message"] for e in failure.errors}, "form": failure.message}
            self.busy = False
            return
        self.busy, self.dialog_open = False, False
        self.notice = "Thanks! Your seed waits for a moderator; it appears in the marketplace once approved."
        await self._refresh()
