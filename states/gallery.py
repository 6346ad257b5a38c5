"""The /gallery page: the signed-in user's generations, searched, filtered, opened, favourited,
deleted and downloaded.

Every handler resolves the session cookie again (`viewer_required`) and passes only the
viewer to the edge, whose services treat anyone else's generation as missing. The
browser receives display strings and signed image URLs; the pagination cursor stays private.

Handlers that read the database or storage run as background events: they hold the page's
state lock (`async with self`) only to read the filters and to show the answer, so a slow query
under load neither blocks the page nor outlives the lock. A filter change sets its field and
asks `refresh` for the first page; answers to older queries are dropped (`_query`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from typing import Any

import reflex as rx

from dreampixel.core.errors import NotFound
from dreampixel.core.models.enums import GenerationStatus
from services.gallery import service as gallery_service
from services.gallery.repository import GalleryFilter, Shape, Sort
from states.edge import gallery
from states.edge.accounts import Viewer
from states.edge.gallery import GalleryPage
from states.session import background, viewer_required

ANY = "any"
LOAD_MORE_ID = "gallery-load-more"
# Clicks "Load more" whenever it scrolls into view: infinite scroll, with the button as the
# fallback for keyboards and for browsers without IntersectionObserver. `__dpGalleryRecheck`
# re-arms it after a page arrives, since a button that stays visible fires no new event.
INFINITE_SCROLL_SCRIPT = f"""
(() => {{
  if (!("IntersectionObserver" in window)) return;
  if (!window.__dpGalleryObserver) {{
    window.__dpGalleryObserver = new IntersectionObserver((entries) => {{
      for (const entry of entries) {{
        if (entry.isIntersecting && !entry.target.disabled) entry.target.click();
      }}
    }}, {{ rootMargin: "300px" }});
    window.__dpGalleryRecheck = () => {{
      const button = document.getElementById("{LOAD_MORE_ID}");
      window.__dpGalleryObserver.disconnect();
      if (button) window.__dpGalleryObserver.observe(button);
    }};
    new MutationObserver(() => {{
      const button = document.getElementById("{LOAD_MORE_ID}");
      if (button !== window.__dpGalleryWatched) {{
        window.__dpGalleryWatched = button;
        window.__dpGalleryRecheck();
      }}
    }}).observe(document.body, {{ childList: true, subtree: true }});
  }}
  setTimeout(window.__dpGalleryRecheck, 50);
}})()
"""
RECHECK_SCRIPT = "setTimeout(() => window.__dpGalleryRecheck && window.__dpGalleryRecheck(), 50)"
STATUS_CHOICES = [s.value for s in GenerationStatus]
SHAPE_CHOICES = [s.value for s in Shape]
SORT_CHOICES = [s.value for s in Sort]


def _strings(row: Any) -> dict[str, str]:
    """A dataclass as display strings (booleans as "1" or ""), the shape foreach lists use."""
    return {k: ("1" if v else "") if isinstance(v, bool) else str(v) for k, v in dataclasses.asdict(row).items()
            if not isinstance(v, list)}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class GalleryState(rx.State):
    ready: rx.Field[bool] = rx.field(False)  # the signed-in check has passed
    loading: rx.Field[bool] = rx.field(False)
    loading_more: rx.Field[bool] = rx.field(False)
    cards: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    has_more: rx.Field[bool] = rx.field(False)
    providers: rx.Field[list[str]] = rx.field(default_factory=list)
    notice: rx.Field[str] = rx.field("")

    text: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field(ANY)
    provider: rx.Field[str] = rx.field(ANY)
    favorites_only: rx.Field[bool] = rx.field(False)
    shape: rx.Field[str] = rx.field(ANY)
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    sort: rx.Field[str] = rx.field(Sort.NEWEST.value)

    selected: rx.Field[list[str]] = rx.field(default_factory=list)
    confirm_ids: rx.Field[list[str]] = rx.field(default_factory=list)

    detail_open: rx.Field[bool] = rx.field(False)
    detail: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    detail_derivatives: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    detail_attempts: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    _cursor: str = ""
    # Bumped by every first-page query; an answer carrying an older number is stale.
    _query: int = 0

    @rx.var
    def filtered(self) -> bool:
        return bool(self.text or self.favorites_only or self.date_from or self.date_to
                    or self.status != ANY or self.provider != ANY or self.shape != ANY)

    @rx.var
    def zip_url(self) -> str:
        return "/api/gallery/download.zip?ids=" + ",".join(self.selected)

    @rx.var
    def confirm_open(self) -> bool:
        return bool(self.confirm_ids)

    def _filters(self) -> GalleryFilter:
        return GalleryFilter(
            text=self.text.strip()[:200],
            status=GenerationStatus(self.status) if self.status in STATUS_CHOICES else None,
            provider=self.provider if self.provider != ANY else None,
            favorites_only=self.favorites_only,
            shape=Shape(self.shape) if self.shape in SHAPE_CHOICES else None,
            created_from=_day(self.date_from),
            created_to=_day(self.date_to),
            sort=Sort(self.sort) if self.sort in SORT_CHOICES else Sort.NEWEST,
        )

    def _begin_query(self) -> tuple[GalleryFilter, int]:
        """Under the lock: the filters to query with, and this query's number."""
        self.loading = True
        self._query += 1
        return self._filters(), self._query

    def _show_first_page(self, result: GalleryPage, query: int) -> None:
        """Under the lock: show a first page, unless a newer query was started meanwhile."""
        if query != self._query:
            return
        self.cards = [_strings(card) for card in result.cards]
        self._cursor = result.next_cursor or ""
        self.has_more = result.next_cursor is not None
        self.selected = [i for i in self.selected if any(c["id"] == i for c in self.cards)]
        self.loading = False

    async def _first_page(self, viewer: Viewer) -> None:
        """In a background event: query the first page unlocked and show it."""
        async with self:
            filters, query = self._begin_query()
        result = await asyncio.to_thread(gallery.page, viewer, filters=filters)
        async with self:
            self._show_first_page(result, query)

    def _forget(self) -> None:
        self.ready = False
        self.cards, self.selected, self.confirm_ids, self.providers = [], [], [], []
        self.detail, self.detail_derivatives, self.detail_attempts = {}, [], []
        self.detail_open, self.has_more, self._cursor = False, False, ""

    @background
    @viewer_required(signed_out=_forget)
    async def load(self, viewer: Viewer):
        """on_load: signed-out visitors go to /login?next=/gallery."""
        async with self:
            self.notice = ""
            self.detail_open = False
            self.confirm_ids = []
            self.ready = True
            filters, query = self._begin_query()
        providers = await asyncio.to_thread(gallery.providers, viewer)
        result = await asyncio.to_thread(gallery.page, viewer, filters=filters)
        async with self:
            self.providers = providers
            self._show_first_page(result, query)
        yield rx.call_script(INFINITE_SCROLL_SCRIPT)
        # /gallery?generation=<id> (the account page's credit history links here) opens its detail.
        wanted = self.router.url.query_parameters.get("generation", "")
        if wanted:
            yield GalleryState.open_detail(wanted)

    @background
    @viewer_required
    async def load_more(self, viewer: Viewer):
        async with self:
            if not self._cursor or self.loading_more:
                return
            self.loading_more = True
            filters, cursor, query = self._filters(), self._cursor, self._query
        try:
            result = await asyncio.to_thread(gallery.page, viewer, filters=filters, cursor=cursor)
        finally:
            async with self:
                self.loading_more = False
        async with self:
            if query != self._query or cursor != self._cursor:
                return  # the filters changed meanwhile: this page belongs to the old list
            shown = {c["id"] for c in self.cards}
            self.cards = self.cards + [_strings(card) for card in result.cards if card.id not in shown]
            self._cursor = result.next_cursor or ""
            self.has_more = result.next_cursor is not None
        yield rx.call_script(RECHECK_SCRIPT)

    @background
    @viewer_required
    async def refresh(self, viewer: Viewer):
        """The first page again, for the filters as they are now."""
        await self._first_page(viewer)
        return rx.call_script(RECHECK_SCRIPT)

    # The filter handlers only change a field (the page's own state, nothing private) and ask
    # `refresh`, which checks the viewer, for the matching first page.
    @rx.event
    def search(self, form: dict[str, Any]):
        self.text = str(form.get("text", ""))[:200]
        return GalleryState.refresh

    @rx.event
    def set_choice(self, field: str, value: str):
        """A select changed: status, provider, shape or sort."""
        if field not in ("status", "provider", "shape", "sort"):
            return None
        setattr(self, field, str(value))
        return GalleryState.refresh

    @rx.event
    def set_day(self, field: str, value: str):
        if field not in ("date_from", "date_to"):
            return None
        setattr(self, field, value if _day(value) else "")
        return GalleryState.refresh

    @rx.event
    def set_favorites_only(self, value: bool):
        self.favorites_only = bool(value)
        return GalleryState.refresh

    @rx.event
    def clear_filters(self):
        self.text, self.date_from, self.date_to = "", "", ""
        self.status = self.provider = self.shape = ANY
        self.sort, self.favorites_only = Sort.NEWEST.value, False
        return GalleryState.refresh

    # --- selection -------------------------------------------------------------------
    @rx.event
    def toggle_selected(self, generation_id: str):
        if generation_id in self.selected:
            self.selected = [i for i in self.selected if i != generation_id]
        elif any(c["id"] == generation_id for c in self.cards):
            self.selected = [*self.selected, generation_id]

    @rx.event
    def select_all(self):
        self.selected = [c["id"] for c in self.cards]

    @rx.event
    def clear_selection(self):
        self.selected = []

    # --- detail ----------------------------------------------------------------------
    @background
    @viewer_required
    async def open_detail(self, viewer: Viewer, generation_id: str):
        try:
            found = await asyncio.to_thread(gallery.detail, viewer, generation_id=generation_id)
        except NotFound:
            async with self:
                self._drop([generation_id])
            return rx.toast.error("That image is no longer in your gallery.")
        async with self:
            self.detail = _strings(found)
            self.detail_derivatives = [_strings(d) for d in found.derivatives]
            self.detail_attempts = [_strings(a) for a in found.attempts]
            self.detail_open = True
        return None

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = value

    @background
    @viewer_required
    async def toggle_favorite(self, viewer: Viewer, generation_id: str):
        async with self:
            card = next((c for c in self.cards if c["id"] == generation_id), None)
            current = (self.detail.get("favorite") if self.detail.get("id") == generation_id
                       else card["favorite"] if card else "")
        try:
            favorite = await asyncio.to_thread(gallery.set_favorite, viewer, generation_id=generation_id,
                                               favorite=not current)
        except NotFound:
            async with self:
                self._drop([generation_id])
            return rx.toast.error("That image is no longer in your gallery.")
        flag = "1" if favorite else ""
        async with self:
            self.cards = [c | {"favorite": flag} if c["id"] == generation_id else c for c in self.cards]
            if self.detail.get("id") == generation_id:
                self.detail = self.detail | {"favorite": flag}
        return None

    @rx.event
    def copy_seed(self):
        seed = self.detail.get("seed", "")
        if not seed:
            return None
        return [rx.set_clipboard(seed), rx.toast.success(f"Seed {seed} copied.")]

    # --- deletion --------------------------------------------------------------------
    @rx.event
    def ask_delete_selected(self):
        self.confirm_ids = list(self.selected)

    @rx.event
    def ask_delete_shown(self):
        if self.detail.get("id"):
            self.confirm_ids = [self.detail["id"]]

    @rx.event
    def cancel_delete(self):
        self.confirm_ids = []

    def _drop(self, ids: list[str]) -> None:
        gone = set(ids)
        self.cards = [c for c in self.cards if c["id"] not in gone]
        self.selected = [i for i in self.selected if i not in gone]
        if self.detail.get("id") in gone:
            self.detail_open = False

    @background
    @viewer_required
    async def confirm_delete(self, viewer: Viewer):
        async with self:  # taken under the lock: a second confirm finds nothing left to delete
            ids = list(self.confirm_ids)
            self.confirm_ids = []
        if not ids:
            return None
        try:
            keys = await asyncio.to_thread(gallery.delete_rows, viewer, generation_ids=ids)
        except NotFound:
            return rx.toast.error("Some of those images are no longer in your gallery; nothing was deleted.")
        # Files go once the rows are committed: a failure leaves stray files, never a row without its file.
        await gallery_service.delete_files(keys)
        count = len(set(ids))
        async with self:
            self._drop(ids)
        return rx.toast.success(f"Deleted {count} image{'s' if count != 1 else ''}.")
