"""The generate page's edge: each call opens its own unit of work and returns display values.

The page submits, cancels, retries and re-reads generations here (see __init__.py). Everything returned is a small frozen dataclass of strings and numbers
(no ORM rows), built from the API's generation object so the page and the API agree.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dreampixel.core.db import uow
from dreampixel.core.errors import DreamPixelError, RateLimited
from dreampixel.core.models import GenerationSource, User
from dreampixel.core.models.generations import MAX_DIMENSION, MIN_DIMENSION
from services import ratelimit
from services.accounts import service as accounts
from services.billing import warnings as usage_warnings
from services.gallery import service as gallery
from services.generation import service as generations
from services.generation.schemas import DailyUsage, GenerationPublic, generation_public, to_create
from services.images import parameters, references
from services.plans import service as plans
from services.providers import registry
from services.providers.schemas import ProviderList
from services.seeds import service as seeds
from states.edge.accounts import Viewer

RECENT_CARDS = 6
MAX_SEED = generations.MAX_SEED
# What the page tells people to do next, per error code: (hint, link label, link).
ERROR_ACTIONS: dict[str, tuple[str, str, str]] = {
    "insufficient_credits": ("Credits come back with your monthly allowance; a plan gives more.", "See plans",
                             "/pricing"),
    "daily_limit_reached": ("Your daily limit resets on its own; upgrading raises it.", "See plans", "/pricing"),
    "prompt_blocked": ("Rephrase the prompt and try again.", "", ""),
    "email_not_verified": ("Open the link we emailed you, or send a new one from your account.", "Account",
                           "/account"),
    "provider_not_configured": ("Pick another provider, or leave it on Automatic.", "", ""),
}
# Without billing (no Stripe) nothing can be bought: these codes then link nowhere.
PURCHASE_CODES = ("insufficient_credits", "daily_limit_reached")
STATUS_LABELS = {"queued": "Queued", "processing": "Generating", "succeeded": "Done", "failed": "Failed",
                 "canceled": "Canceled", "expired": "Expired"}


@dataclass(frozen=True)
class CardImage:
    id: str
    url: str
    medium_url: str
    thumbnail_url: str
    width: int
    height: int
    seed: str


@dataclass(frozen=True)
class Card:
    """One generation as its card shows it; the input fields let "reuse settings" refill the form."""

    id: str
    status: str
    status_label: str
    active: bool
    retryable: bool
    prompt: str
    negative_prompt: str
    seed: str
    width: int
    height: int
    steps: int
    guidance: float
    variations: int
    output_format: str
    provider_requested: str
    provider_used: str
    attempts: str
    queue_position: int
    estimated_start: str
    started_at: str
    cost: str
    error_code: str = ""
    error_message: str = ""
    error_hint: str = ""
    error_link_label: str = ""
    error_link: str = ""
    favorite: bool = False
    images: list[CardImage] = field(default_factory=list)


@dataclass(frozen=True)
class ProviderOption:
    name: str
    configured: bool
    healthy: bool
    label: str


@dataclass(frozen=True)
class Account:
    verified: bool
    credits: int
    limit: int
    used: int
    remaining: int
    resets_at: str
    warning: str = ""  # the usage banner: daily limit nearly used, credits low or out
    # Why the viewer cannot generate now ("" when they can): "unverified", "no_credits",
    # "out_of_credits" or "daily_limit", the sentence shown beside the disabled button, and
    # the one action that helps (empty when nothing on this installation does).
    blocked: str = ""
    blocked_message: str = ""
    action_label: str = ""
    action_link: str = ""


@dataclass(frozen=True)
class FormInput:
    """What the form sends, as typed values; `seed` None asks for a random one."""

    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    width: int = 1024
    height: int = 1024
    steps: int = 30
    guidance: float = 7.5
    variations: int = 1
    output_format: str = "png"
    provider: str = ""
    reference_image_id: str = ""
    seed_listing_id: str = ""


@dataclass(frozen=True)
class SeedRecipe:
    """A marketplace seed as the generate form takes it: its title, for saying where the form came from."""

    id: str
    title: str
    values: dict[str, str]


@dataclass(frozen=True)
class Reference:
    id: str
    thumbnail_url: str
    width: int
    height: int


def _when(value: datetime | None) -> str:
    return value.strftime("%b %d, %H:%M UTC") if value else ""


def _card(generation: GenerationPublic, *, favorite: bool = False) -> Card:
    data = generation.input
    provider = generation.provider
    error = generation.error
    code = error.code if error else ""
    hint, link_label, link = (error_action(code) if code in ERROR_ACTIONS else
                              ("Try again; the credits were returned.", "", "")) \
        if code and code != "canceled" else ("", "", "")
    queue = generation.queue
    attempts = provider.attempts
    tried = " → ".join(f"{a.provider} ({a.status})" for a in attempts) if len(attempts) > 1 else ""
    status = generation.status.value
    held = generation.cost.credits_charged if status == "succeeded" else generation.cost.credits_held
    seed = str(generation.seed if generation.seed is not None else "")
    return Card(
        id=generation.id, status=status, status_label=STATUS_LABELS.get(status, status),
        active=status in ("queued", "processing"), retryable=status in ("failed", "expired", "canceled"),
        prompt=data.prompt, negative_prompt=data.negative_prompt or "", seed=seed,
        width=data.width, height=data.height, steps=data.steps, guidance=data.guidance_scale,
        variations=data.num_variations, output_format=data.format.value,
        provider_requested=provider.requested or "", provider_used=provider.used or "", attempts=tried,
        queue_position=queue.position if queue else 0,
        estimated_start=queue.estimated_start_at.isoformat() if queue else "",
        started_at=generation.started_at.isoformat() if generation.started_at else "",
        cost=f"{held} credit{'s' if held != 1 else ''}",
        error_code=code, error_message=(error.message if error else None) or "", error_hint=hint,
        error_link_label=link_label, error_link=link, favorite=favorite,
        images=[CardImage(id=o.image_id, url=o.url, medium_url=o.medium_url or o.url,
                          thumbnail_url=o.thumbnail_url or o.url, width=o.width, height=o.height,
                          seed=str(o.seed if o.seed is not None else generation.seed))
                for o in generation.outputs],
    )


def error_action(code: str) -> tuple[str, str, str]:
    """(hint, link label, link) for a refusal; no link to plans when nothing can be bought here."""
    hint, label, link = ERROR_ACTIONS.get(code, ("", "", ""))
    if code in PURCHASE_CODES and not plans.billing_enabled():
        return hint.split(";")[0] + ".", "", ""
    return hint, label, link


def _next_slot(resets_at: datetime | None) -> str:
    """ "tomorrow at 08:34 UTC", or "at 17:05 UTC" later today."""
    if resets_at is None:
        return "tomorrow"
    at = resets_at.astimezone(UTC)
    return f"{'tomorrow ' if at.date() > datetime.now(UTC).date() else ''}at {at:%H:%M} UTC"


def _blocked(user: User, use: DailyUsage, *, generated: bool) -> tuple[str, str, str, str]:
    """(kind, sentence, action label, action link) saying why `user` cannot generate now."""
    billing = plans.billing_enabled()
    ask = "" if billing else (" Billing is not set up on this installation: ask its administrator for more "
                              "credits or a higher plan.")
    if user.email_verified_at is None:
        return ("unverified", "No credits yet: confirm your email to receive your free credits. "
                f"Open the link we sent to {user.email}.", "Send a new link", "/account")
    if user.credit_balance <= 0:
        first = "You are out of credits." if generated else "You have no credits yet."
        renews = usage_warnings.when_credits_return(tier=user.tier)
        return ("out_of_credits" if generated else "no_credits", f"{first} {renews}{ask}",
                *(("Buy credits", "/pricing") if billing else ("", "")))
    if use.limit and use.remaining <= 0:
        return ("daily_limit", f"You have used your {use.limit:,} generation{'s' if use.limit != 1 else ''} for "
                f"today; the next one is possible {_next_slot(use.resets_at)}.",
                *(("See plans", "/pricing") if billing else ("", "")))
    return "", "", "", ""


def account(viewer: Viewer) -> Account:
    """Credits left and today's generations: what the form shows beside the cost, and any block."""
    with uow() as session:
        user = accounts.active_user(session, viewer.user_id)
        use = DailyUsage(**generations.usage(session, user))
        generated = bool(generations.list_for_user(session, user_id=user.id, limit=1)[0])
        blocked, message, label, link = _blocked(user, use, generated=generated)
        return Account(verified=user.email_verified_at is not None, credits=user.credit_balance,
                       limit=use.limit, used=use.used, remaining=use.remaining, resets_at=_when(use.resets_at),
                       warning=usage_warnings.banner_line(user=user, limit=use.limit, used=use.used,
                                                          resets_at=use.resets_at),
                       blocked=blocked, blocked_message=message, action_label=label, action_link=link)


def recent(viewer: Viewer, limit: int = RECENT_CARDS) -> list[Card]:
    """The viewer's latest generations, newest first (the page's cards after a reload)."""
    with uow() as session:
        rows, _ = generations.list_for_user(session, user_id=viewer.user_id, limit=limit)
        return [_card(generation_public(session, row), favorite=row.is_favorite) for row in rows]


def card(viewer: Viewer, generation_id: str) -> Card:
    """One of the viewer's generations; another user's raises NotFound."""
    with uow() as session:
        generation = generations.get_for_user(session, user_id=viewer.user_id, generation_id=generation_id)
        return _card(generation_public(session, generation), favorite=generation.is_favorite)


def set_favorite(viewer: Viewer, generation_id: str, favorite: bool) -> Card:
    """Star or unstar one of the viewer's generations (the gallery's favourites filter shows it)."""
    with uow() as session:
        gallery.set_favorite(session, user_id=viewer.user_id, generation_id=generation_id, favorite=favorite)
        generation = generations.get_for_user(session, user_id=viewer.user_id, generation_id=generation_id)
        return _card(generation_public(session, generation), favorite=generation.is_favorite)


def cost(width: int, height: int, variations: int) -> int:
    return generations.credits_per_image(width, height) * variations


def random_seed() -> int:
    return secrets.randbelow(MAX_SEED)


def _count_new_generation(user: User) -> None:
    """The API's generation-create limit, on the same counter: the page is no way around it."""
    decision = ratelimit.hit(f"generations:{user.id}", *ratelimit.generation_create_limit(user.tier.value))
    if not decision.allowed:
        raise RateLimited(f"Your plan allows {decision.limit} new generations per window; "
                          f"try again in {decision.reset_seconds} s.")


def submit(viewer: Viewer, form: FormInput) -> Card:
    """Queue a generation from the form; raises DreamPixelError with a message for people."""
    request = to_create(
        {"prompt": form.prompt, "negative_prompt": form.negative_prompt, "seed": form.seed, "width": form.width,
         "height": form.height, "steps": form.steps, "guidance_scale": form.guidance,
         "num_variations": form.variations, "format": form.output_format, "provider": form.provider or None,
         "seed_id": form.seed_listing_id or None},
        reference_image_id=form.reference_image_id or None,
    )
    with uow() as session:
        user = accounts.active_user(session, viewer.user_id)
        _count_new_generation(user)
        if request.reference_image_id:
            references.get_for_user(session, user_id=user.id, image_id=request.reference_image_id)
        generation = generations.submit(session, user=user, request=request, source=GenerationSource.WEB)
        return _card(generation_public(session, generation))


def cancel(viewer: Viewer, generation_id: str) -> Card:
    with uow() as session:
        generation = generations.cancel(session, user_id=viewer.user_id, generation_id=generation_id)
        return _card(generation_public(session, generation))


def retry(viewer: Viewer, generation_id: str) -> Card:
    with uow() as session:
        user = accounts.active_user(session, viewer.user_id)
        _count_new_generation(user)
        generation = generations.retry(session, user=user, generation_id=generation_id)
        return _card(generation_public(session, generation))


async def providers() -> list[ProviderOption]:
    """Every known provider with a health word for the picker."""
    options = []
    for status in ProviderList.of(await registry.provider_statuses()).data:
        configured, healthy = status.configured, bool(status.healthy)
        word = "not configured" if not configured else ("healthy" if healthy else "unavailable")
        options.append(ProviderOption(name=status.name, configured=configured, healthy=configured and healthy,
                                      label=f"{status.name} · {word}"))
    return options


async def store_reference(viewer: Viewer, data: bytes, *, source: str) -> Reference:
    """Validate, re-encode and store a reference image once per user; bad files raise InvalidImage."""
    image = (await references.save(viewer.user_id, data, source=source, unit_of_work=uow)).image
    return Reference(id=image.id, thumbnail_url=image.thumbnail_url or image.url, width=image.width,
                     height=image.height)


async def reference_from_url(viewer: Viewer, url: str) -> Reference:
    """Fetch (behind the SSRF guard) and store a reference image given by URL."""
    if not url.startswith(("http://", "https://")):
        raise DreamPixelError("Give a full http:// or https:// address.", status_code=422, code="invalid_url")
    return await store_reference(viewer, await references.fetch_bytes(url), source="url")


def seed_recipe(seed_id: str) -> SeedRecipe:
    """An approved seed's recipe as form values (provider included) and its title; raises NotFound."""
    with uow() as session:
        seed = seeds.get_public(session, seed_id)
        return SeedRecipe(id=seed.id, title=seed.title, values=form_from_parameters(seeds.recipe_of(seed)))


def form_from_parameters(params: dict[str, Any]) -> dict[str, str]:
    """Form field values from a PNG's embedded parameters or a seed recipe; unknown keys are dropped."""
    names = {"prompt": "prompt", "negative_prompt": "negative_prompt", "seed": "seed", "width": "width",
             "height": "height", "steps": "steps", "guidance_scale": "guidance", "num_variations": "variations",
             "format": "output_format", "output_format": "output_format", "seed_id": "seed_id",
             "provider": "provider"}
    values: dict[str, str] = {}
    for key, name in names.items():
        value = params.get(key)
        if value is None or value == "":
            continue
        if name in ("width", "height"):
            try:
                number = int(value)
            except (TypeError, ValueError):
                continue
            if not MIN_DIMENSION <= number <= MAX_DIMENSION:
                continue
        values[name] = str(value)
    return values


def read_png_parameters(data: bytes) -> dict[str, str] | None:
    """The form values a PNG made by Dream Pixel (or AUTOMATIC1111) carries; None when it has none."""
    found = parameters.read_parameters(data)
    if not found:
        return None
    values = form_from_parameters(found)
    return values if values.get("prompt") else None
