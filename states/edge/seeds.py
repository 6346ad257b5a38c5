"""The seeds pages' entry points: one unit of work per call, small frozen display values back.

Synchronous on purpose: states run them with `asyncio.to_thread` (see __init__.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dreampixel.core.db import uow
from dreampixel.core.models import Seed
from services.generation.schemas import outputs
from services.seeds import service
from services.seeds.schemas import SeedPublic, seeds_public
from states.edge.accounts import Viewer


@dataclass(frozen=True)
class SeedCard:
    id: str
    title: str
    creator: str
    uses: int
    category: str
    image_url: str


@dataclass(frozen=True)
class SeedDetail:
    id: str
    title: str
    description: str
    creator: str
    category: str
    seed_number: str
    prompt: str
    negative_prompt: str
    settings: list[tuple[str, str]]
    images: list[str]
    uses: int
    favorites: int
    favorite: bool
    status: str  # APPROVED, or the creator's own PENDING / REJECTED seed


@dataclass(frozen=True)
class MySeed:
    id: str
    title: str
    status: str
    reason: str
    uses: int


@dataclass(frozen=True)
class PublishOption:
    generation_id: str
    prompt: str
    image_url: str


_SETTING_LABELS = (("width", "Width"), ("height", "Height"), ("steps", "Steps"), ("guidance_scale", "Guidance"),
                   ("provider", "Provider"))


def _card(seed: SeedPublic) -> SeedCard:
    return SeedCard(id=seed.id, title=seed.title, creator=seed.creator.name if seed.creator else "Former member",
                    uses=seed.use_count, category=seed.category.capitalize(),
                    image_url=seed.examples[0].thumbnail_url if seed.examples else "")


def _cards(session: Any, seeds: list[Seed]) -> list[SeedCard]:
    return [_card(seed) for seed in seeds_public(session, seeds)]


def browse(*, category: str = "", q: str = "", sort: service.Sort = "popular", cursor: str | None = None,
           limit: int = 24) -> tuple[list[SeedCard], str | None]:
    """A page of approved seeds as cards, and the cursor of the next page."""
    with uow() as session:
        page, next_cursor = service.browse(session, category=service.parse_category(category), q=q, sort=sort,
                                           cursor=cursor, limit=limit)
        return _cards(session, page), next_cursor


def featured(limit: int = 8) -> list[SeedCard]:
    with uow() as session:
        return _cards(session, service.featured(session, limit=limit))


def detail(seed_id: str, viewer: Viewer | None) -> SeedDetail:
    """An approved seed (or the viewer's own); raises NotFound otherwise."""
    with uow() as session:
        row = service.get_public(session, seed_id, viewer_id=viewer.user_id if viewer else None)
        seed = seeds_public(session, [row])[0]
        recipe = seed.recipe
        return SeedDetail(
            id=seed.id, title=seed.title, description=seed.description,
            creator=seed.creator.name if seed.creator else "Former member",
            category=seed.category.capitalize(), seed_number=str(seed.seed),
            prompt=str(recipe.get("prompt", "")), negative_prompt=str(recipe.get("negative_prompt", "") or ""),
            settings=[(label, str(recipe[key])) for key, label in _SETTING_LABELS if recipe.get(key) is not None],
            images=[example.url for example in seed.examples], uses=seed.use_count, favorites=seed.favorite_count,
            favorite=viewer is not None and service.is_favorite(session, user_id=viewer.user_id, seed_id=seed.id),
            status=row.moderation_status.value,
        )


def recipe_for(seed_id: str) -> dict[str, Any]:
    """For the generate page's `?seed_id=`: prompt, settings, `seed` and `seed_id`; raises NotFound."""
    with uow() as session:
        return service.recipe_for(session, seed_id)


def use(viewer: Viewer, seed_id: str) -> dict[str, Any]:
    """Count the viewer's use of the seed (once a day) and return its recipe; raises NotFound."""
    with uow() as session:
        return service.use(session, seed_id, user_id=viewer.user_id)


def toggle_favorite(viewer: Viewer, seed_id: str) -> tuple[bool, int]:
    """(is a favourite now, the seed's favourite count)."""
    with uow() as session:
        now_favorite = service.toggle_favorite(session, user_id=viewer.user_id, seed_id=seed_id)
        session.expire_all()
        return now_favorite, service.get_public(session, seed_id).favorite_count


def publish(viewer: Viewer, *, generation_id: str, title: str, description: str, category: str) -> str:
    """Submit a seed for moderation; returns its id. Raises NotFound, ValidationFailed or Conflict."""
    with uow() as session:
        parsed = service.parse_category(category)
        seed = service.submit(session, user_id=viewer.user_id, generation_id=generation_id, title=title,
                              description=description, **({"category": parsed} if parsed else {}))
        return seed.id


def my_seeds(viewer: Viewer) -> list[MySeed]:
    with uow() as session:
        return [MySeed(id=seed.id, title=seed.title, status=seed.moderation_status.value,
                       reason=seed.moderation_reason or "", uses=seed.use_count)
                for seed in service.mine(session, user_id=viewer.user_id)]


def publishable(viewer: Viewer) -> list[PublishOption]:
    """The viewer's succeeded generations a seed can be made from, with a thumbnail each."""
    with uow() as session:
        options = []
        for generation in service.publishable(session, user_id=viewer.user_id):
            delivered = outputs(session, generation)
            image = (delivered[0].thumbnail_url or delivered[0].url) if delivered else ""
            options.append(PublishOption(generation_id=generation.id, prompt=generation.prompt[:120], image_url=image))
        return options
