"""The /gallery page: the signed-in user's generations, searched, filtered, opened, favourited,
deleted and downloaded.

Every handler resolves the session cookie again (`viewer_required`) and passes only the
viewer to the edge, whose services treat anyone else's generation as missing. The
browser receives display strings and signed image URLs; the pagination cursor stays private.
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
from states.session import viewer_required

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

    async def _first_page(self, viewer: Viewer) -> None:
        self.loading = True
        result = await asyncio.to_thread(gallery.page, viewer, filters=self._filters())
        self.cards = [_strings(card) for card in result.cards]
        self._cursor = result.next_cursor or ""
        self.has_more = result.next_cursor is not None
        self.selected = [i for i in self.selected if any(c["id"] == i for c in self.cards)]
        self.loading = False

    def _forget(self) -> None:
        self.ready = False
        self.cards, self.selected, self.confirm_ids, self.providers = [], [], [], []
        self.detail, self.detail_derivatives, self.detail_attempts = {}, [], []
        self.detail_open, self.has_more, self._cursor = False, False, ""

    @rx.event
    @viewer_required(signed_out=_forget)
    async def load(self, viewer: Viewer):
        """on_load: signed-out visitors go to /login?next=/gallery."""
        self.notice = ""
        self.detail_open = False
        self.confirm_ids = []
        self.loading = True
        self.ready = True
        yield
        self.providers = await asyncio.to_thread(gallery.providers, viewer)
        await self._first_page(viewer)
        yield rx.call_script(INFINITE_SCROLL_SCRIPT)
        # /gallery?generation=<id> (the account page's credit history links here) opens its detail.
        wanted = self.router.url.query_parameters.get("generation", "")
        if wanted:
            yield GalleryState.open_detail(wanted)

    @rx.event
    @viewer_required
    async def load_more(self, viewer: Viewer):
        if not self._cursor or self.loading_more:
            return
        self.loading_more = True
        yield
        result = await asyncio.to_thread(gallery.page, viewer, filters=self._filters(), cursor=self._cursor)
        shown = {c["id"] for c in self.cards}
        self.cards = self.cards + [_strings(card) for card in result.cards if card.id not in shown]
        self._cursor = result.next_cursor or ""
        self.has_more = result.next_cursor is not None
        self.loading_more = False
        yield rx.call_script(RECHECK_SCRIPT)

    @viewer_required
    async def _refilter(self, viewer: Viewer):
        await self._first_page(viewer)
        return rx.call_script(RECHECK_SCRIPT)

    @rx.event
    async def search(self, form: dict[str, Any]):
        self.text = str(form.get("text", ""))[:200]
        return await self._refilter()

    @rx.event
    async def set_choice(self, field: str, value: str):
        """A select changed: status, provider, shape or sort."""
        if field not in ("status", "provider", "shape", "sort"):
            return None
        setattr(self, field, str(value))
        return await self._refilter()

    @rx.event
    async def set_day(self, field: str, value: str):
        if field not in ("date_from", "date_to"):
            return None
        setattr(self, field, value if _day(value) else "")
        return await self._refilter()

    @rx.event
    async def set_favorites_only(self, value: bool):
        self.favorites_only = bool(value)
        return await self._refilter()

    @rx.event
    async def clear_filters(self):
        self.text, self.date_from, self.date_to = "", "", ""
        self.status = self.provider = self.shape = ANY
        self.sort, self.favorites_only = Sort.NEWEST.value, False
        return await self._refilter()

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
    @rx.event
    @viewer_required
    async def open_detail(self, viewer: Viewer, generation_id: str):
        try:
            found = await asyncio.to_thread(gallery.detail, viewer, generation_id=generation_id)
        except NotFound:
            self._drop([generation_id])
            return rx.toast.error("That image is no longer in your gallery.")
        self.detail = _strings(found)
        self.detail_derivatives = [_strings(d) for d in found.derivatives]
        self.detail_attempts = [_strings(a) for a in found.attempts]
        self.detail_open = True
        return None

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = value

    @rx.event
    @viewer_required
    async def toggle_favorite(self, viewer: Viewer, generation_id: str):
        card = next((c for c in self.cards if c["id"] == generation_id), None)
        current = (self.detail.get("favorite") if self.detail.get("id") == generation_id
                   else card["favorite"] if card else "")
        try:
            favorite = await asyncio.to_thread(gallery.set_favorite, viewer, generation_id=generation_id,
                                               favorite=not current)
        except NotFound:
            self._drop([generation_id])
            return rx.toast.error("That image is no longer in your gallery.")
        flag = "1" if favorite else ""
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

    @rx.event
    @viewer_required
    async def confirm_delete(self, viewer: Viewer):
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
        self._drop(ids)
        return rx.toast.success(f"Deleted {count} image{'s' if count != 1 else ''}.")
