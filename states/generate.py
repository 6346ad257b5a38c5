"""The /generate page: the form, the live cards, reference images and restored settings.

Cards are pushed, never polled: `watch` is a background event subscribed to the viewer's
event channel while any card is unfinished; each event re-reads that one generation through
the edge (which checks ownership) and replaces its card. Every handler resolves the
session cookie again before acting (`viewer_required`).

Handlers that wait on the database, storage or a provider run as background events: the page's
state lock is taken (`async with self`) only to read the form and to show the outcome, never across
the wait. A handler holding the lock for longer than Reflex's lock expiration fails with an error
the visitor sees, although its work went through (a submit under load: the card and image arrive,
yet the page said "An error occurred.").
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from typing import Any

import reflex as rx
from reflex.event import EventSpec, KeyInputInfo

from dreampixel.core.errors import DreamPixelError, NotFound
from services.events import service as events
from states.edge import generation
from states.edge.accounts import Viewer
from states.edge.generation import Account, Card, FormInput, ProviderOption, Reference, SeedRecipe
from states.session import background, current_viewer, state_lock, viewer_required

SIZES: dict[str, tuple[int, int]] = {"square": (1024, 1024), "portrait": (832, 1216), "landscape": (1216, 832)}
AUTOMATIC = "automatic"
# The watcher stops once nothing is unfinished and no event came for this long; a submit or a reload
# restarts it. Long, since a credit change (an admin grant) may come at any time while the page is open.
WATCH_IDLE_SECONDS = 1800.0
WATCH_TICK_SECONDS = 5.0
# Where an open page goes when its session ends while it is open; /login says why.
SESSION_ENDED_URL = "/login?ended=1&next=%2Fgenerate"
# A watcher that has not ticked for this long is gone (the process restarted): start another.
WATCH_STALE_SECONDS = 3 * WATCH_TICK_SECONDS
# An event for a card the page does not show yet, while a submit is in flight, waits (at most this
# long) for the submit to show that card first: the steps then appear in order, queued first.
SUBMIT_WAIT_SECONDS = 60.0
SUBMIT_WAIT_POLL_SECONDS = 0.1
# Which app process runs a watcher: after a restart (or on another process) the state still says
# "watched", but nobody is; a reconnect's on_load must start one.
PROCESS_ID = f"{os.getpid()}-{secrets.token_hex(4)}"


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def _float(value: Any, default: float) -> float:
    try:
        return float(str(value).strip())
    except ValueError:
        return default


class GenerateState(rx.State):
    ready: rx.Field[bool] = rx.field(False)
    verified: rx.Field[bool] = rx.field(True)
    credits: rx.Field[int] = rx.field(0)
    limit: rx.Field[int] = rx.field(0)
    used: rx.Field[int] = rx.field(0)
    resets_at: rx.Field[str] = rx.field("")
    usage_warning: rx.Field[str] = rx.field("")
    # Why the viewer cannot generate now ("" when they can), said beside the disabled button.
    blocked: rx.Field[str] = rx.field("")
    blocked_message: rx.Field[str] = rx.field("")
    action_label: rx.Field[str] = rx.field("")
    action_link: rx.Field[str] = rx.field("")

    prompt: rx.Field[str] = rx.field("")
    negative_prompt: rx.Field[str] = rx.field("")
    seed: rx.Field[str] = rx.field("")
    seed_locked: rx.Field[bool] = rx.field(False)
    size: rx.Field[str] = rx.field("square")
    width: rx.Field[str] = rx.field("1024")
    height: rx.Field[str] = rx.field("1024")
    steps: rx.Field[str] = rx.field("30")
    guidance: rx.Field[str] = rx.field("7.5")
    variations: rx.Field[str] = rx.field("1")
    output_format: rx.Field[str] = rx.field("png")
    provider: rx.Field[str] = rx.field(AUTOMATIC)
    # Bumped when the form is filled from outside (reuse, a dropped PNG, a link): the prompt
    # fields are uncontrolled and remount with the new values.
    form_version: rx.Field[int] = rx.field(0)

    providers: rx.Field[list[ProviderOption]] = rx.field(default_factory=list)
    cards: rx.Field[list[Card]] = rx.field(default_factory=list)
    busy: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    error_hint: rx.Field[str] = rx.field("")
    error_link: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    # /generate?welcome=1, where a confirmed email lands: a greeting above the form.
    welcome: rx.Field[str] = rx.field("")

    reference_id: rx.Field[str] = rx.field("")
    reference_thumbnail: rx.Field[str] = rx.field("")
    reference_error: rx.Field[str] = rx.field("")
    reference_busy: rx.Field[bool] = rx.field(False)
    seed_listing_id: rx.Field[str] = rx.field("")
    # Where the form came from when a marketplace seed filled it in.
    seed_title: rx.Field[str] = rx.field("")
    seed_provider: rx.Field[str] = rx.field("")
    seed_provider_missing: rx.Field[bool] = rx.field(False)

    large_image: rx.Field[str] = rx.field("")
    large_open: rx.Field[bool] = rx.field(False)

    # The page's one watcher: whom it follows, in which process, when it last ticked, and a
    # number that a newer watcher bumps to stop an older one.
    _watch_tick: float = 0.0
    _watch_user: str = ""
    _watch_process: str = ""
    _watch_token: int = 0
    # Set by a page load: the next watcher takes over even from one that still looks alive
    # (a reload or reconnect may have ended the old task without a word).
    _watch_take_over: bool = False

    # ---- display values ------------------------------------------------------------------

    @rx.var
    def cost(self) -> int:
        width, height = _int(self.width, 1024), _int(self.height, 1024)
        return generation.cost(max(width, 1), max(height, 1), max(1, min(4, _int(self.variations, 1))))

    @rx.var
    def reason(self) -> str:
        """Why Generate is disabled: the account's block, or a form that costs more than the balance."""
        if self.blocked:
            return self.blocked_message
        if self.ready and self.cost > self.credits:
            return (f"This needs {self.cost} credits and you have {self.credits}: choose a smaller size or "
                    "fewer variations.")
        return ""

    @rx.var
    def limit_text(self) -> str:
        if not self.limit or self.blocked:
            return ""
        left = max(0, self.limit - self.used)
        text = f"{left} of {self.limit} generations left today"
        return f"{text}; resets at {self.resets_at}" if self.resets_at and left < self.limit else text

    # ---- loading ---------------------------------------------------------------------------

    def _show_account(self, account: Account) -> None:
        self.verified, self.credits = account.verified, account.credits
        self.limit, self.used, self.resets_at = account.limit, account.used, account.resets_at
        self.usage_warning = account.warning
        self.blocked, self.blocked_message = account.blocked, account.blocked_message
        self.action_label, self.action_link = account.action_label, account.action_link

    def _forget(self) -> None:
        self.ready = False
        self.cards = []

    @background
    @viewer_required(signed_out=_forget)
    async def load(self, viewer: Viewer):
        """on_load: signed-out visitors go to /login?next=/generate; otherwise fill the page.

        Everything is read first, then shown in one locked step.
        """
        params = dict(self.router.url.query_parameters)
        account = await asyncio.to_thread(generation.account, viewer)
        cards = await asyncio.to_thread(generation.recent, viewer)
        providers = await generation.providers()
        recipe: SeedRecipe | None = None
        seed_missing = False
        if params.get("seed_id"):
            try:
                recipe = await asyncio.to_thread(generation.seed_recipe, params["seed_id"])
            except DreamPixelError:
                seed_missing = True
        follow: list[Any] = [GenerateState.watch]
        async with self:
            self._show_account(account)
            self.cards, self.providers = cards, providers
            self.error = self.notice = self.welcome = ""
            # A submit in flight when the page was left ends unseen: its card arrives with the others.
            self.busy = self.reference_busy = False
            self._prefill(params, recipe, seed_missing=seed_missing)
            self.ready = True
            # The watcher always runs while the page is open: operators' credit changes arrive through it too.
            self._watch_take_over = True
            if params.get("welcome") and self.verified:
                first = viewer.name.split(" ")[0] if viewer.name else ""
                self.welcome = (f"Welcome to Dream Pixel{', ' + first if first else ''}! Your email is confirmed "
                                f"and your {self.credits:,} free credits are in: describe an image and press "
                                "Generate.")
                # Drop ?welcome=1 from the address, so a reload does not greet again.
                follow += [rx.toast.success("Email confirmed. Welcome!"),
                           rx.call_script("window.history.replaceState(null, '', window.location.pathname)")]
        return follow

    def _prefill(self, params: dict[str, Any], recipe: SeedRecipe | None, *, seed_missing: bool) -> None:
        if params.get("seed_id"):
            if seed_missing or recipe is None:
                self.notice = "That seed is no longer available."
                return
            self._fill(recipe.values)
            self.seed_title = recipe.title
            self._choose_provider(recipe.values.get("provider", ""))
            return
        if params.get("prompt"):
            values = generation.form_from_parameters({key: params[key] for key in params})
            if values:
                self._fill(values)

    def _choose_provider(self, name: str) -> None:
        """Pick the recipe's provider when it is set up here; otherwise Automatic, and say so."""
        self.seed_provider = name
        usable = any(option.name == name and option.configured for option in self.providers)
        self.provider = name if usable else AUTOMATIC
        self.seed_provider_missing = bool(name) and not usable

    @rx.event
    def clear_seed(self):
        """Forget the seed the form came from: empty the prompt, free the seed, provider back to Automatic."""
        self.seed_listing_id = self.seed_title = self.seed_provider = ""
        self.seed_provider_missing = False
        self.prompt = self.negative_prompt = self.seed = ""
        self.seed_locked = False
        self.provider = AUTOMATIC
        self.form_version += 1
        # Drop ?seed_id= from the address, or a reload would fill the form again.
        return rx.call_script("window.history.replaceState(null, '', window.location.pathname)")

    def _fill(self, values: dict[str, str]) -> None:
        """Put values into the form (from a card, a PNG, a seed or a link)."""
        self.prompt = values.get("prompt", self.prompt)[:4000]
        self.negative_prompt = values.get("negative_prompt", "")
        if values.get("seed"):
            self.seed, self.seed_locked = values["seed"], True
        width, height = values.get("width"), values.get("height")
        if width and height:
            self.width, self.height = width, height
            self.size = next((name for name, wh in SIZES.items() if wh == (int(width), int(height))), "custom")
        for name in ("steps", "guidance", "variations"):
            if values.get(name):
                setattr(self, name, values[name])
        if values.get("output_format") in ("png", "jpeg", "webp"):
            self.output_format = values["output_format"]
        self.seed_listing_id = values.get("seed_id", "")
        if not self.seed_listing_id:
            self.seed_title = self.seed_provider = ""
            self.seed_provider_missing = False
        self.form_version += 1

    # ---- form fields -----------------------------------------------------------------------

    @rx.event
    def set_size(self, size: str) -> None:
        self.size = size if size in (*SIZES, "custom") else "square"
        if self.size in SIZES:
            width, height = SIZES[self.size]
            self.width, self.height = str(width), str(height)

    @rx.event
    def set_width(self, value: str) -> None:
        self.width = value

    @rx.event
    def set_height(self, value: str) -> None:
        self.height = value

    @rx.event
    def set_steps(self, value: str) -> None:
        self.steps = value

    @rx.event
    def set_guidance(self, value: str) -> None:
        self.guidance = value

    @rx.event
    def set_variations(self, value: str) -> None:
        self.variations = value

    @rx.event
    def set_output_format(self, value: str) -> None:
        self.output_format = value

    @rx.event
    def set_provider(self, value: str) -> None:
        self.provider = value

    @rx.event
    def set_seed(self, value: str) -> None:
        self.seed = value.strip()
        self.seed_locked = bool(self.seed)  # a typed seed is meant to be used

    @rx.event
    def set_seed_locked(self, locked: bool) -> None:
        self.seed_locked = locked

    @rx.event
    def prompt_key(self, key: str, info: KeyInputInfo):
        """Ctrl+Enter (Cmd+Enter) in the prompt submits the form."""
        if key == "Enter" and (info["ctrl_key"] or info["meta_key"]):
            return rx.call_script("document.getElementById('generate-form')?.requestSubmit()")
        return None

    # ---- submitting ------------------------------------------------------------------------

    def _input(self, form: dict[str, Any]) -> FormInput:
        self.prompt = str(form.get("prompt", self.prompt))
        self.negative_prompt = str(form.get("negative_prompt", self.negative_prompt))
        seed = _int(self.seed, -1) if self.seed_locked else -1
        if not 0 <= seed < generation.MAX_SEED:
            seed = generation.random_seed()
            self.seed_locked = False
        self.seed = str(seed)
        return FormInput(
            prompt=self.prompt, negative_prompt=self.negative_prompt, seed=seed,
            width=_int(self.width, 1024), height=_int(self.height, 1024), steps=_int(self.steps, 30),
            guidance=_float(self.guidance, 7.5), variations=_int(self.variations, 1),
            output_format=self.output_format, provider="" if self.provider == AUTOMATIC else self.provider,
            reference_image_id=self.reference_id, seed_listing_id=self.seed_listing_id,
        )

    def _show_error(self, error: DreamPixelError) -> EventSpec:
        hint, _label, link = generation.error_action(error.code)
        self.error, self.error_hint, self.error_link = error.message, hint, link
        return rx.toast.error(error.message, description=hint or None)

    def _start_submit(self, form: dict[str, Any]) -> FormInput | None:
        """Under the lock: the request from the form, and the page marked busy; None while busy already.

        A second press (or Ctrl+Enter) while a submit is queued is refused here, so a double submit
        queues one generation.
        """
        if self.busy:
            return None
        request = self._input(form)
        self.busy = True
        self.error = self.error_hint = self.error_link = self.notice = ""
        return request

    async def _submit(self, viewer: Viewer, request: FormInput):
        """Queue the generation without the page's lock; show the card (or the refusal) under it.

        Runs in a background event, after `_start_submit` set `busy` under the lock.
        """
        shown = False
        try:
            account = await asyncio.to_thread(generation.account, viewer)
            if account.blocked:  # Ctrl+Enter submits even while the button is disabled
                async with self:
                    self._show_account(account)
                    self.busy, shown = False, True
                return rx.toast.error(account.blocked_message)
            try:
                card = await asyncio.to_thread(generation.submit, viewer, request)
            except DreamPixelError as error:
                account = await asyncio.to_thread(generation.account, viewer)
                async with self:
                    self._show_account(account)
                    self.busy, shown = False, True
                    return self._show_error(error)
            async with self:
                # The watcher may have shown this card already (it waits while `busy`, but not forever);
                # its copy is never older than this one.
                if self._card(card.id) is None:
                    self.cards = [card, *self.cards]
                self.busy, shown = False, True
            account = await asyncio.to_thread(generation.account, viewer)
            async with self:
                self._show_account(account)
            return GenerateState.watch
        finally:
            if not shown:  # an unexpected failure: the button must not spin forever
                async with self:
                    self.busy = False

    @background
    @viewer_required
    async def submit(self, viewer: Viewer, form: dict[str, Any]):
        async with self:  # leaving the block shows the button's spinner while the generation is queued
            request = self._start_submit(form)
        if request is None:
            return None
        return await self._submit(viewer, request)

    # ---- cards -----------------------------------------------------------------------------

    def _card(self, generation_id: str) -> Card | None:
        return next((card for card in self.cards if card.id == generation_id), None)

    def _replace(self, card: Card) -> None:
        if self._card(card.id) is None:
            self.cards = [card, *self.cards]
        else:
            self.cards = [card if c.id == card.id else c for c in self.cards]

    @background
    @viewer_required
    async def cancel(self, viewer: Viewer, generation_id: str):
        try:
            canceled = await asyncio.to_thread(generation.cancel, viewer, generation_id)
        except NotFound:
            return rx.toast.error("No such generation.")
        except DreamPixelError as error:
            return rx.toast.error(error.message)
        account = await asyncio.to_thread(generation.account, viewer)
        async with self:
            self._replace(canceled)
            self._show_account(account)
        # Free when it was still queued; charged when the provider was already at work.
        return rx.toast.info(canceled.error_message or "Canceled.")

    @background
    @viewer_required
    async def retry(self, viewer: Viewer, generation_id: str):
        try:
            card = await asyncio.to_thread(generation.retry, viewer, generation_id)
        except DreamPixelError as error:
            async with self:
                return self._show_error(error)
        account = await asyncio.to_thread(generation.account, viewer)
        async with self:
            if self._card(card.id) is None:  # the watcher's copy, if it came first, is the newer one
                self.cards = [card, *self.cards]
            self._show_account(account)
        return GenerateState.watch

    def _settings_of(self, card: Card, *, seed: str) -> dict[str, str]:
        return {"prompt": card.prompt, "negative_prompt": card.negative_prompt, "seed": seed,
                "width": str(card.width), "height": str(card.height), "steps": str(card.steps),
                "guidance": str(card.guidance), "variations": str(card.variations),
                "output_format": card.output_format}

    @background
    @viewer_required
    async def reuse(self, viewer: Viewer, generation_id: str, seed: str):
        """Fill the form with a card's settings and the seed of the chosen image."""
        async with self:
            card = self._card(generation_id)
            if card is None:
                return None
            self._fill(self._settings_of(card, seed=seed or card.seed))
            self.provider = card.provider_requested or AUTOMATIC
        return rx.toast.info("Settings restored.")

    @background
    @viewer_required
    async def remix(self, viewer: Viewer, generation_id: str):
        """Same settings, a new seed: fill the form and submit at once."""
        async with self:
            card = self._card(generation_id)
            if card is None or self.busy:
                return None
            self._fill(self._settings_of(card, seed=str(generation.random_seed())))
            request = self._start_submit({})
        if request is None:
            return None
        return await self._submit(viewer, request)

    @background
    @viewer_required
    async def toggle_favorite(self, viewer: Viewer, generation_id: str):
        async with self:
            card = self._card(generation_id)
        if card is None:
            return None
        try:
            changed = await asyncio.to_thread(generation.set_favorite, viewer, generation_id, not card.favorite)
        except NotFound:
            return rx.toast.error("That generation is no longer in your gallery.")
        async with self:
            self._replace(changed)
        return None

    @rx.event
    def open_large(self, url: str) -> None:
        self.large_image, self.large_open = url, True

    @rx.event
    def set_large_open(self, is_open: bool) -> None:
        self.large_open = is_open

    # ---- reference image and restored settings --------------------------------------------

    # Reflex runs upload handlers in the foreground only (it refuses `background=True` for them), so
    # a dropped file is stored under the page's lock; a URL, fetched over the network, is not.
    @rx.event
    @viewer_required
    async def upload_reference(self, viewer: Viewer, files: list[rx.UploadFile]):
        if not files:
            return None
        data = await files[0].read()
        return await self._store_reference(generation.store_reference(viewer, data, source="upload"))

    @background
    @viewer_required
    async def reference_from_url(self, viewer: Viewer, form: dict[str, Any]):
        return await self._store_reference(generation.reference_from_url(viewer, str(form.get("reference_url", ""))))

    async def _store_reference(self, storing: Any):
        """Store a reference image; in a background event the lock is held only to show progress."""
        async with state_lock(self):
            self.reference_error = ""
            self.reference_busy = True
        try:
            reference: Reference = await storing
        except DreamPixelError as error:
            async with state_lock(self):
                self.reference_error = error.message
                self.reference_busy = False
            return None
        except BaseException:
            async with state_lock(self):
                self.reference_busy = False
            raise
        async with state_lock(self):
            self.reference_id, self.reference_thumbnail = reference.id, reference.thumbnail_url
            self.reference_busy = False
        return None

    @rx.event
    def clear_reference(self) -> None:
        self.reference_id = self.reference_thumbnail = self.reference_error = ""

    @rx.event
    @viewer_required
    async def restore_from_png(self, viewer: Viewer, files: list[rx.UploadFile]):
        """A dropped PNG's embedded parameters fill the form."""
        if not files:
            return None
        data = await files[0].read()
        try:
            values = await asyncio.to_thread(generation.read_png_parameters, data)
        except DreamPixelError as error:  # a canvas too large to be ours, refused from its header
            return rx.toast.error(error.message)
        if values is None:
            return rx.toast.warning("That image carries no generation settings.")
        self._fill(values)
        return rx.toast.success("Settings restored from the image.")

    # ---- live updates ----------------------------------------------------------------------

    @rx.event(background=True)
    async def watch(self):
        """Follow the signed-in user's generation events while any card is unfinished.

        One watcher per page: a new one takes over (and the old one stops at its next tick) when
        another user signed in, or the old one lives in another process or stopped ticking.
        """
        viewer = await current_viewer(self)  # the database, read before taking the page's lock
        if viewer is None:
            return
        async with self:
            alive = time.time() - self._watch_tick < WATCH_STALE_SECONDS and self._watch_process == PROCESS_ID
            take_over, self._watch_take_over = self._watch_take_over, False
            if alive and self._watch_user == viewer.user_id and not take_over:
                return  # another watcher serves this page and this user
            self._watch_token += 1
            token = self._watch_token
            self._watch_user, self._watch_process, self._watch_tick = viewer.user_id, PROCESS_ID, time.time()
        async with events.subscribe(viewer.user_id) as stream:
            iterator = aiter(stream)
            pending: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(anext(iterator))
            last_event = time.time()
            try:
                # Events published before the subscription started would be lost: re-read once.
                async with self:
                    unfinished = [card.id for card in self.cards if card.active]
                for generation_id in unfinished:
                    toast = await self._apply(viewer, generation_id)
                    if toast is not None:
                        yield toast
                while True:
                    done, _ = await asyncio.wait({pending}, timeout=WATCH_TICK_SECONDS)
                    now = await current_viewer(self)
                    async with self:
                        if self._watch_token != token:
                            return  # a newer watcher follows this page now
                        switched = now is None or now.user_id != viewer.user_id
                        if switched:
                            self._watch_user, self._watch_tick = "", 0.0
                        handover = switched and now is not None and any(card.active for card in self.cards)
                    if switched:
                        # Signed out, or someone else signed in: a watcher for them takes over.
                        if handover:
                            yield GenerateState.watch
                        elif now is None:  # the session ended (staff publish session.ended, which wakes this)
                            yield rx.redirect(SESSION_ENDED_URL)
                        return
                    if done:
                        event, pending = pending.result(), asyncio.ensure_future(anext(iterator))
                        last_event = time.time()
                        if event.get("type") == "credits.changed":  # an operator changed the balance
                            async with self:
                                self.credits = int(event.get("balance", self.credits))
                        toast = await self._apply(viewer, str(event.get("generation_id", "")))
                        if toast is not None:
                            yield toast
                    async with self:
                        if self._watch_token != token:
                            return
                        idle = time.time() - last_event > WATCH_IDLE_SECONDS
                        if idle and not any(card.active for card in self.cards):
                            self._watch_user, self._watch_tick = "", 0.0
                            return
                        self._watch_tick = time.time()
            finally:
                pending.cancel()

    async def _apply(self, viewer: Viewer, generation_id: str) -> EventSpec | None:
        """Re-read one generation and update (or add) its card; a toast when it just failed."""
        if not generation_id:
            return None
        try:
            card = await asyncio.to_thread(generation.card, viewer, generation_id)
        except NotFound:
            return None
        waited_since = time.monotonic()
        while True:
            async with self:  # leaving the block sends the card to the browser
                before = self._card(generation_id)
                # A submit in flight shows its own card (queued) first; this newer state follows it.
                waiting = before is None and self.busy and time.monotonic() - waited_since < SUBMIT_WAIT_SECONDS
                if not waiting:
                    self._replace(card)
                    break
            await asyncio.sleep(SUBMIT_WAIT_POLL_SECONDS)
        if not card.active:  # then the balance and the daily count, in a second update
            account = await asyncio.to_thread(generation.account, viewer)
            async with self:
                self._show_account(account)
        if card.status == "failed" and (before is None or before.active):
            return rx.toast.error(card.error_message or "The generation failed.")
        return None


