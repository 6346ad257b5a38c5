"""The seeds marketplace pages: browsing, one seed's detail, and publishing your own.

Public browsing needs no account; favouriting and publishing resolve the session cookie
again in every handler (`viewer_required`). Only display strings reach the browser, never rows.

Handlers that read the database run as background events: the page's state lock is taken
(`async with self`) only to read what to ask for and to show the answer, never across the query.
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
from states.session import background, current_viewer, viewer_required

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

    # Bumped by every new first-page query; an answer carrying an older number is stale.
    _query: int = 0

    def _criteria(self) -> tuple[str, str, Sort]:
        category = "" if self.category == "all" else self.category
        sort: Sort = "new" if self.sort == "new" else "popular"
        return category, self.query, sort

    @staticmethod
    async def _fetch(criteria: tuple[str, str, Sort],
                     cursor: str | None = None) -> tuple[list[dict[str, str]], str | None]:
        category, q, sort = criteria
        page, next_cursor = await asyncio.to_thread(seeds.browse, category=category, q=q, sort=sort, cursor=cursor)
        return [_card(card) for card in page], next_cursor

    async def _reload(self) -> None:
        """In a background event: the first page for the current choices, queried unlocked."""
        async with self:
            self.loading, self.error = True, ""
            self._query += 1
            query, criteria = self._query, self._criteria()
        error = ""
        try:
            cards, cursor = await self._fetch(criteria)
        except DreamPixelError as failure:
            cards, cursor, error = [], None, failure.message
        async with self:
            if query != self._query:
                return  # the choices changed meanwhile; the newer query shows its answer
            self.cards, self._cursor, self.error = cards, cursor, error
            self.has_more = cursor is not None
            self.loading = False

    @background
    async def load(self):
        """on_load: `?category=` preselects a tab."""
        wanted = self.router.url.query_parameters.get("category", "all").lower()
        async with self:
            self.category = wanted if wanted in CATEGORIES else "all"
            self.loading = True
        featured = [_card(card) for card in await asyncio.to_thread(seeds.featured)]
        async with self:
            self.featured = featured
        await self._reload()

    @background
    async def load_featured(self) -> None:
        """For the landing page's featured row."""
        featured = [_card(card) for card in await asyncio.to_thread(seeds.featured, 6)]
        async with self:
            self.featured = featured

    @background
    async def choose_category(self, category: str):
        async with self:
            if category not in CATEGORIES or category == self.category:
                return
            self.category = category
        await self._reload()

    @background
    async def choose_sort(self, sort: str | list[str]):
        async with self:
            if not isinstance(sort, str) or sort not in ("popular", "new") or sort == self.sort:
                return
            self.sort = sort
        await self._reload()

    @background
    async def search(self, form: dict[str, Any]):
        async with self:
            self.query = str(form.get("q", "")).strip()[:100]
        await self._reload()

    @background
    async def clear_search(self):
        async with self:
            self.query = ""
        await self._reload()

    @background
    async def load_more(self):
        async with self:
            if self._cursor is None or self.loading_more:
                return
            self.loading_more = True
            query, criteria, cursor = self._query, self._criteria(), self._cursor
        error = ""
        more: list[dict[str, str]] = []
        next_cursor: str | None = None
        try:
            more, next_cursor = await self._fetch(criteria, cursor)
        except DreamPixelError as failure:
            error = failure.message
        async with self:
            self.loading_more = False
            if query != self._query or cursor != self._cursor:
                return  # the list was replaced meanwhile: this page belongs to the old one
            if error:
                self.error, self._cursor = error, None
            else:
                self.cards, self._cursor = self.cards + more, next_cursor
            self.has_more = self._cursor is not None


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

    @background
    async def load(self) -> None:
        wanted = self._requested_id()
        async with self:
            self.loading, self.error = True, ""
        viewer = await current_viewer(self)
        try:
            detail = await asyncio.to_thread(seeds.detail, wanted, viewer)
        except DreamPixelError:
            async with self:
                self.found, self.loading, self.shown_id = False, False, ""
            return
        async with self:
            self.found = True
            self.shown_id, self.title, self.description = detail.id, detail.title, detail.description
            self.creator, self.category, self.seed_number = detail.creator, detail.category, detail.seed_number
            self.prompt, self.negative_prompt = detail.prompt, detail.negative_prompt
            self.settings = [list(pair) for pair in detail.settings]
            self.images, self.uses, self.favorites = detail.images, detail.uses, detail.favorites
            self.favorite, self.status = detail.favorite, detail.status
            self.loading = False

    @background
    @viewer_required
    async def use_seed(self, viewer: Viewer):
        """Count a use, then open the generate page prefilled from this seed (signed-in visitors:
        generating needs an account, and anonymous clicks would inflate the count)."""
        async with self:
            shown_id = self.shown_id
        if not shown_id:
            return None
        try:
            recipe = await asyncio.to_thread(seeds.use, viewer, shown_id)
        except DreamPixelError as failure:
            async with self:
                self.error = failure.message
            return None
        async with self:
            self.uses += 1
        return rx.redirect(f"/generate?seed_id={quote(recipe['seed_id'], safe='')}")

    @background
    @viewer_required
    async def toggle_favorite(self, viewer: Viewer):
        async with self:
            shown_id = self.shown_id
        try:
            favorite, favorites = await asyncio.to_thread(seeds.toggle_favorite, viewer, shown_id)
        except DreamPixelError as failure:
            async with self:
                self.error = failure.message
            return None
        async with self:
            if self.shown_id == shown_id:
                self.favorite, self.favorites = favorite, favorites
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
        """In a background event: the visitor's own seeds, read unlocked and shown under the lock."""
        viewer = await current_viewer(self)
        mine = await asyncio.to_thread(seeds.my_seeds, viewer) if viewer is not None else []
        async with self:
            self.signed_in = viewer is not None
            if viewer is None:
                self.options = []
            self.mine = [{k: str(v) for k, v in dataclasses.asdict(row).items()} for row in mine]
        return viewer is not None

    @background
    async def load(self):
        async with self:
            self.notice = ""
        await self._refresh()
        # /seeds?publish=<generation id> ("Publish as seed" on a Generate card) opens the
        # dialog with that generation chosen.
        wanted = self.router.url.query_parameters.get("publish", "")
        if wanted:
            return PublishState.open_dialog(wanted)
        return None

    @background
    @viewer_required
    async def open_dialog(self, viewer: Viewer, generation_id: str = ""):
        options = await asyncio.to_thread(seeds.publishable, viewer)
        async with self:
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

    @background
    @viewer_required
    async def publish(self, viewer: Viewer, form: dict[str, Any]):
        async with self:  # a second press while publishing is refused: one seed per submit
            if self.busy:
                return
            self.errors, self.busy = {}, True
            chosen = self.chosen
        try:
            await asyncio.to_thread(seeds.publish, viewer, generation_id=chosen,
                                    title=str(form.get("title", "")), description=str(form.get("description", "")),
                                    category=str(form.get("category", "other")))
        except DreamPixelError as failure:
            async with self:
                # Field errors show beside their fields; the message says what went wrong overall.
                self.errors = {**{e["field"]: e["message"] for e in failure.errors}, "form": failure.message}
                self.busy = False
            return
        except BaseException:
            async with self:
                self.busy = False
            raise
        async with self:
            self.busy, self.dialog_open = False, False
            self.notice = "Thanks! Your seed waits for a moderator; it appears in the marketplace once approved."
        await self._refresh()
