"""The seeds marketplace: what is public, how it is browsed, counted, favourited and published."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dreampixel.api.app import create_api
from dreampixel.core.db import uow
from dreampixel.core.errors import Conflict, NotFound, ValidationFailed
from dreampixel.core.models import GenerationStatus, ImageType, ModerationStatus, Seed, SeedCategory, utcnow
from dreampixel.core.settings import settings
from services.api_keys import service as api_keys
from services.seeds import service as seeds
from services.storage import reset_storage_cache
from states.edge import seeds as seeds_edge
from tests.factories import create_generation, create_image, create_seed, create_user


def _titles(rows: list[Seed]) -> list[str]:
    return [row.title for row in rows]


def test_only_approved_seeds_are_listed(session: Session) -> None:
    create_seed(session, title="Approved")
    create_seed(session, title="Pending", moderation_status=ModerationStatus.PENDING)
    create_seed(session, title="Rejected", moderation_status=ModerationStatus.REJECTED)

    assert _titles(seeds.browse(session)[0]) == ["Approved"]


def test_browse_filters_by_category_and_search(session: Session) -> None:
    create_seed(session, title="Neon anime city", category=SeedCategory.ANIME)
    create_seed(session, title="Quiet lake", category=SeedCategory.LANDSCAPE, description="Mist at dawn")
    create_seed(session, title="100% violet", category=SeedCategory.ABSTRACT)

    assert _titles(seeds.browse(session, category=SeedCategory.ANIME)[0]) == ["Neon anime city"]
    assert _titles(seeds.browse(session, q="MIST")[0]) == ["Quiet lake"]
    assert _titles(seeds.browse(session, q="100%")[0]) == ["100% violet"]  # % is a character, not a wildcard


def test_popular_sorts_by_uses_and_new_by_creation(session: Session) -> None:
    create_seed(session, title="old and popular", use_count=50)
    create_seed(session, title="middle", use_count=5)
    create_seed(session, title="newest", use_count=0)

    assert _titles(seeds.browse(session, sort="popular")[0]) == ["old and popular", "middle", "newest"]
    assert _titles(seeds.browse(session, sort="new")[0]) == ["newest", "middle", "old and popular"]


@pytest.mark.parametrize("sort", ["popular", "new"])
def test_cursor_walks_every_seed_once(session: Session, sort: seeds.Sort) -> None:
    for n in range(7):
        create_seed(session, title=f"seed {n}", use_count=n % 3)

    seen, cursor = [], None
    while True:
        page, cursor = seeds.browse(session, sort=sort, cursor=cursor, limit=3)
        seen += _titles(page)
        if cursor is None:
            break
    assert sorted(seen) == [f"seed {n}" for n in range(7)]


def test_a_forged_cursor_is_a_validation_error(session: Session) -> None:
    with pytest.raises(ValidationFailed):
        seeds.browse(session, cursor="not-a-cursor")


def test_use_counts_and_returns_the_recipe(session: Session) -> None:
    seed = create_seed(session, seed_number=4242)

    recipe = seeds.use(session, seed.id, user_id=create_user(session).id)

    session.refresh(seed)
    assert seed.use_count == 1
    assert recipe["prompt"] == "a sunset over the ocean" and recipe["seed"] == 4242 and recipe["seed_id"] == seed.id


def test_a_pending_seed_cannot_be_used_or_read(session: Session) -> None:
    seed = create_seed(session, moderation_status=ModerationStatus.PENDING)

    with pytest.raises(NotFound):
        seeds.use(session, seed.id, user_id=create_user(session).id)
    with pytest.raises(NotFound):
        seeds.recipe_for(session, seed.id)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_user_using_a_seed_again_the_same_day_counts_once(session: Session) -> None:
    seed = create_seed(session)
    user = create_user(session)

    for _ in range(5):
        recipe = seeds.use(session, seed.id, user_id=user.id)

    session.refresh(seed)
    assert seed.use_count == 1
    assert recipe["seed_id"] == seed.id, "the recipe still comes back on every use"


def test_a_use_on_a_later_day_counts_again(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = create_seed(session)
    user = create_user(session)
    seeds.use(session, seed.id, user_id=user.id)

    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(seeds, "utcnow", lambda: tomorrow)
    seeds.use(session, seed.id, user_id=user.id)

    session.refresh(seed)
    assert seed.use_count == 2


def test_concurrent_uses_of_different_users_all_count(live_db: Engine) -> None:
    with uow() as session:
        seed_id = create_seed(session).id
        user_ids = [create_user(session).id for _ in range(40)]

    def use_once(user_id: str) -> None:
        with uow() as session:
            seeds.use(session, seed_id, user_id=user_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(use_once, user_ids))

    with uow() as session:
        assert session.get(Seed, seed_id).use_count == 40  # type: ignore[union-attr]


def test_concurrent_uses_of_one_user_count_once(live_db: Engine) -> None:
    with uow() as session:
        seed_id = create_seed(session).id
        user_id = create_user(session).id

    def use_once(_: int) -> None:
        with uow() as session:
            seeds.use(session, seed_id, user_id=user_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(use_once, range(20)))

    with uow() as session:
        assert session.get(Seed, seed_id).use_count == 1  # type: ignore[union-attr]


def test_favourite_toggles_and_counts(session: Session) -> None:
    user = create_user(session)
    seed = create_seed(session)

    assert seeds.toggle_favorite(session, user_id=user.id, seed_id=seed.id) is True
    session.refresh(seed)
    assert seed.favorite_count == 1 and seeds.is_favorite(session, user_id=user.id, seed_id=seed.id)
    assert seeds.toggle_favorite(session, user_id=user.id, seed_id=seed.id) is False
    session.refresh(seed)
    assert seed.favorite_count == 0


def _succeeded(session: Session, user, seed_used: int = 777):  # type: ignore[no-untyped-def]
    generation = create_generation(session, user, status=GenerationStatus.SUCCEEDED, seed_used=seed_used,
                                   provider_used="local")
    create_image(session, user, generation, type=ImageType.FULL, variation_index=0)
    return generation


def test_a_submitted_seed_is_pending_and_invisible_publicly(session: Session) -> None:
    user = create_user(session)
    generation = _succeeded(session, user)

    seed = seeds.submit(session, user_id=user.id, generation_id=generation.id, title="My lighthouse",
                        category=SeedCategory.LANDSCAPE)

    assert seed.moderation_status is ModerationStatus.PENDING and seed.seed_number == 777
    assert seed.recipe["prompt"] == generation.prompt and len(seed.example_image_ids) == 1
    assert seeds.browse(session)[0] == []
    with pytest.raises(NotFound):
        seeds.get_public(session, seed.id)
    assert seeds.get_public(session, seed.id, viewer_id=user.id).id == seed.id  # the creator still sees it
    assert [row.id for row in seeds.mine(session, user_id=user.id)] == [seed.id]


def test_submitting_another_users_generation_is_not_found(session: Session) -> None:
    owner, other = create_user(session), create_user(session)
    generation = _succeeded(session, owner)

    with pytest.raises(NotFound):
        seeds.submit(session, user_id=other.id, generation_id=generation.id, title="Not mine")


def test_an_unfinished_generation_cannot_be_published(session: Session) -> None:
    user = create_user(session)
    generation = create_generation(session, user)

    with pytest.raises(ValidationFailed):
        seeds.submit(session, user_id=user.id, generation_id=generation.id, title="Too early")


def test_the_same_generation_is_published_once(session: Session) -> None:
    user = create_user(session)
    generation = _succeeded(session, user)
    seeds.submit(session, user_id=user.id, generation_id=generation.id, title="First")

    with pytest.raises(Conflict):
        seeds.submit(session, user_id=user.id, generation_id=generation.id, title="Again")


def test_an_empty_title_is_refused_on_its_field(session: Session) -> None:
    user = create_user(session)
    generation = _succeeded(session, user)

    with pytest.raises(ValidationFailed) as refused:
        seeds.submit(session, user_id=user.id, generation_id=generation.id, title="   ")
    assert refused.value.errors[0]["field"] == "title"


def test_edge_cards_carry_the_example_thumbnail_and_creator(session: Session) -> None:
    creator = create_user(session, name="Ada")
    full = create_image(session, creator, type=ImageType.FULL, storage_key="seeds/1/full.png")
    create_image(session, creator, type=ImageType.THUMBNAIL, parent_id=full.id, storage_key="seeds/1/thumb.webp")
    create_seed(session, creator, title="With art", example_image_ids=[full.id])

    [card], _ = seeds_edge.browse()

    assert card.title == "With art" and card.creator == "Ada" and "seeds/1/thumb.webp" in card.image_url


@pytest.fixture
async def api(live_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    reset_storage_cache()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()),
                                 base_url="http://dreampixel.test") as http:
        yield http
    reset_storage_cache()


def _arrange_api() -> tuple[str, str]:
    with uow() as session:
        owner = create_user(session)
        _key, plaintext = api_keys.create_key(session, user_id=owner.id, name="seeds", scopes=["seeds:read"])
        create_seed(session, owner, title="Public anime", category=SeedCategory.ANIME, featured=True)
        create_seed(session, owner, title="Public landscape")
        hidden = create_seed(session, owner, title="Hidden", moderation_status=ModerationStatus.PENDING)
        return plaintext, hidden.id


async def test_api_lists_approved_seeds_with_a_key(api: httpx.AsyncClient) -> None:
    key, hidden_id = await asyncio.to_thread(_arrange_api)
    headers = {"x-api-key": key}

    listed = await api.get("/api/v1/seeds", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert {row["title"] for row in body["data"]} == {"Public anime", "Public landscape"}
    assert body["has_more"] is False and body["next_cursor"] is None

    anime = (await api.get("/api/v1/seeds", params={"category": "anime"}, headers=headers)).json()["data"]
    assert [row["title"] for row in anime] == ["Public anime"]
    featured = (await api.get("/api/v1/seeds", params={"featured": "true"}, headers=headers)).json()["data"]
    assert [row["title"] for row in featured] == ["Public anime"]
    one = await api.get(f"/api/v1/seeds/{anime[0]['id']}", headers=headers)
    assert one.status_code == 200 and one.json()["recipe"]["prompt"] == "a sunset over the ocean"

    assert (await api.get(f"/api/v1/seeds/{hidden_id}", headers=headers)).status_code == 404
    assert (await api.get("/api/v1/seeds", params={"category": "nope"}, headers=headers)).status_code == 422
    assert (await api.get("/api/v1/seeds")).status_code == 401


async def test_legacy_seed_examples_move_to_keys_without_their_creators_id(session: Session) -> None:
    from contextlib import nullcontext

    from services.images.schemas import ImagePublic
    from services.seeds import examples
    from services.storage import get_storage

    creator = create_user(session)
    generation = create_generation(session, creator, status=GenerationStatus.SUCCEEDED)
    old = f"generations/{creator.id}/{generation.id}/0"
    full = create_image(session, creator, generation, type=ImageType.FULL, storage_key=f"{old}/full.png")
    thumb = create_image(session, creator, generation, type=ImageType.THUMBNAIL, parent_id=full.id,
                         storage_key=f"{old}/thumb.webp", content_type="image/webp")
    storage = get_storage()
    for image in (full, thumb):
        await storage.put(image.storage_key, b"bytes of " + image.id.encode(), content_type=image.content_type)
    create_seed(session, creator, example_image_ids=[full.id])

    moved = await examples.rekey_legacy_examples(unit_of_work=lambda: nullcontext(session))

    assert moved == 2
    for image in (full, thumb):
        session.refresh(image)
        assert creator.id not in image.storage_key and creator.id not in ImagePublic.of(image).url
        assert await storage.get(image.storage_key) == b"bytes of " + image.id.encode()
    assert not await storage.exists(f"{old}/full.png")


def test_a_pending_seeds_examples_are_shown_through_expiring_urls_only(session: Session) -> None:
    from urllib.parse import parse_qsl, urlsplit

    from services.seeds.schemas import examples

    creator = create_user(session)
    generation = create_generation(session, creator, status=GenerationStatus.SUCCEEDED)
    image = create_image(session, creator, generation, type=ImageType.FULL)
    pending = create_seed(session, creator, example_image_ids=[image.id], moderation_status=ModerationStatus.PENDING)
    approved = create_seed(session, creator, example_image_ids=[image.id])

    shown = examples(session, [pending, approved])

    assert "exp" in dict(parse_qsl(urlsplit(shown[pending.id][0].url).query))
    assert "exp" not in dict(parse_qsl(urlsplit(shown[approved.id][0].url).query))
