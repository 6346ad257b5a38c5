"""The gallery: a user's own generations searched, filtered, paged, deleted and zipped; nobody else's."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlalchemy import Engine
from sqlmodel import Session, select

from dreampixel.api.app import create_api
from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound
from dreampixel.core.models import Generation, GenerationStatus, Image, ImageType, User
from services.accounts import sessions
from services.gallery import repository
from services.gallery.repository import GalleryFilter, Shape, Sort
from services.storage import StorageNotFound, get_storage
from states.edge import gallery
from states.edge.accounts import Viewer
from states.gallery import GalleryState
from tests.factories import create_generation, create_image, create_user

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def prompts(session: Session, user: User, filters: GalleryFilter = GalleryFilter()) -> list[str]:
    rows, _ = repository.search(session, user_id=user.id, filters=filters)
    return [row.prompt for row in rows]


def with_files(session: Session, user: User, prompt: str, **overrides: object) -> tuple[Generation, list[Image]]:
    """A succeeded generation with a full image and its medium and thumbnail derivatives."""
    generation = create_generation(session, user, prompt=prompt, status=GenerationStatus.SUCCEEDED,
                                   provider_used="local", seed_used=4242, **overrides)
    full = create_image(session, user, generation, type=ImageType.FULL, variation_index=0,
                        storage_key=f"gallery-test/{generation.id}/full.png", meta={"seed": 4242})
    medium = create_image(session, user, generation, type=ImageType.MEDIUM, variation_index=0, parent_id=full.id,
                          content_type="image/webp", storage_key=f"gallery-test/{generation.id}/medium.webp")
    thumb = create_image(session, user, generation, type=ImageType.THUMBNAIL, variation_index=0, parent_id=full.id,
                         content_type="image/webp", storage_key=f"gallery-test/{generation.id}/thumb.webp")
    return generation, [full, medium, thumb]


def viewer_of(user_id: str) -> Viewer:
    return Viewer(user_id=user_id, session_id="ses_test", name="Ada", email="ada@example.test", role="USER",
                  verified=True)


async def store(images: list[Image]) -> None:
    for image in images:
        await get_storage().put(image.storage_key, f"bytes of {image.type.value}".encode(),
                                content_type=image.content_type)


@BOTH
def test_search_matches_prompt_words_case_insensitively(session: Session) -> None:
    user = create_user(session)
    create_generation(session, user, prompt="A Red Fox in the SNOW")
    create_generation(session, user, prompt="a blue whale")
    create_generation(session, user, prompt="snowy mountains, red sky")

    assert prompts(session, user, GalleryFilter(text="red snow")) == ["snowy mountains, red sky",
                                                                      "A Red Fox in the SNOW"]
    assert prompts(session, user, GalleryFilter(text="WHALE")) == ["a blue whale"]


@BOTH
def test_search_takes_percent_and_underscore_literally(session: Session) -> None:
    user = create_user(session)
    create_generation(session, user, prompt="100% cotton texture")
    create_generation(session, user, prompt="1000 cotton balls")
    create_generation(session, user, prompt="snake_case letters")
    create_generation(session, user, prompt="snakescase letters")

    assert prompts(session, user, GalleryFilter(text="100%")) == ["100% cotton texture"]
    assert prompts(session, user, GalleryFilter(text="snake_case")) == ["snake_case letters"]
    assert prompts(session, user, GalleryFilter(text="%")) == ["100% cotton texture"]


def test_filters_narrow_by_status_provider_favourite_size_and_date(session: Session) -> None:
    user = create_user(session)
    create_generation(session, user, prompt="queued square")
    create_generation(session, user, prompt="wide by stability", status=GenerationStatus.SUCCEEDED,
                      provider_used="stability", width=768, height=512)
    create_generation(session, user, prompt="tall favourite", status=GenerationStatus.SUCCEEDED,
                      provider_used="local", width=512, height=768, is_favorite=True)
    create_generation(session, user, prompt="old one", created_at=datetime(2024, 1, 15, 12, tzinfo=UTC))

    assert prompts(session, user, GalleryFilter(status=GenerationStatus.SUCCEEDED)) == [
        "tall favourite", "wide by stability"]
    assert prompts(session, user, GalleryFilter(provider="stability")) == ["wide by stability"]
    assert prompts(session, user, GalleryFilter(favorites_only=True)) == ["tall favourite"]
    assert prompts(session, user, GalleryFilter(shape=Shape.LANDSCAPE)) == ["wide by stability"]
    assert prompts(session, user, GalleryFilter(shape=Shape.PORTRAIT)) == ["tall favourite"]
    assert prompts(session, user, GalleryFilter(created_from=date(2024, 1, 15), created_to=date(2024, 1, 15))) == [
        "old one"]
    assert "old one" not in prompts(session, user, GalleryFilter(created_from=date(2024, 1, 16)))
    assert repository.providers_used(session, user_id=user.id) == ["local", "stability"]


def test_pages_follow_the_cursor_newest_or_oldest_first(session: Session) -> None:
    user = create_user(session)
    made = [create_generation(session, user, prompt=f"picture {n}").prompt for n in range(5)]

    newest: list[str] = []
    cursor = None
    while True:
        rows, cursor = repository.search(session, user_id=user.id, cursor=cursor, limit=2)
        newest += [r.prompt for r in rows]
        if cursor is None:
            break
    first, next_cursor = repository.search(session, user_id=user.id, filters=GalleryFilter(sort=Sort.OLDEST), limit=3)
    rest, end = repository.search(session, user_id=user.id, filters=GalleryFilter(sort=Sort.OLDEST),
                               cursor=next_cursor, limit=3)

    assert newest == list(reversed(made))
    assert [r.prompt for r in first + rest] == made and end is None


async def test_delete_removes_the_rows_and_the_files(live_db: Engine) -> None:
    def arrange() -> tuple[str, str, str, list[Image]]:
        with uow() as session:
            user = create_user(session)
            with_files(session, user, "kept")
            gone, images = with_files(session, user, "deleted")
            token = sessions.create(session, user_id=user.id, ip=None, user_agent=None)
            return token, user.id, gone.id, images
    token, user_id, generation_id, images = await asyncio.to_thread(arrange)
    await store(images)
    owner = gallery_state(token)
    owner.confirm_ids = [generation_id]

    await GalleryState.confirm_delete.fn(owner)  # type: ignore[attr-defined]

    with uow() as session:
        assert session.get(Generation, generation_id) is None
        assert session.exec(select(Image).where(Image.storage_key.startswith(  # type: ignore[attr-defined]
            f"gallery-test/{generation_id}/"))).all() == []
        assert [g.prompt for g in session.exec(select(Generation).where(Generation.user_id == user_id))] == ["kept"]
    for image in images:
        with pytest.raises(StorageNotFound):
            await get_storage().get(image.storage_key)


async def test_another_user_cannot_see_favourite_or_delete_a_generation(live_db: Engine) -> None:
    def arrange() -> tuple[str, str, str]:
        with uow() as session:
            alice, bob = create_user(session), create_user(session)
            generation, _ = with_files(session, alice, "alice's lighthouse")
            return alice.id, bob.id, generation.id
    alice_id, bob_id, generation_id = await asyncio.to_thread(arrange)

    bob, alice = viewer_of(bob_id), viewer_of(alice_id)
    assert gallery.page(bob, filters=GalleryFilter()).cards == []
    with pytest.raises(NotFound):
        gallery.detail(bob, generation_id=generation_id)
    with pytest.raises(NotFound):
        gallery.set_favorite(bob, generation_id=generation_id, favorite=True)
    with pytest.raises(NotFound):
        gallery.delete_rows(bob, generation_ids=[generation_id])

    detail = gallery.detail(alice, generation_id=generation_id)
    assert detail.prompt == "alice's lighthouse" and not detail.favorite
    assert [d.label for d in detail.derivatives] == ["Image 1 · Full size", "Image 1 · Medium", "Image 1 · Thumbnail"]
    assert detail.reuse_url.startswith("/generate?prompt=alice%27s+lighthouse&seed=4242")


@pytest.fixture
async def api(live_db: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()),
                                 base_url="http://dreampixel.test") as http:
        yield http


def signed_in_owner_and_stranger() -> dict[str, object]:
    with uow() as session:
        owner, stranger = create_user(session), create_user(session)
        first, first_images = with_files(session, owner, "a lighthouse at dusk")
        second, second_images = with_files(session, owner, "a fox in snow")
        return {
            "owner": sessions.create(session, user_id=owner.id, ip=None, user_agent=None),
            "stranger": sessions.create(session, user_id=stranger.id, ip=None, user_agent=None),
            "ids": [first.id, second.id],
            "images": first_images + second_images,
        }


def cookie(token: object) -> dict[str, str]:
    return {"cookie": f"{sessions.SESSION_COOKIE}={token}"}


async def test_the_zip_holds_each_image_and_its_parameters(api: httpx.AsyncClient) -> None:
    world = await asyncio.to_thread(signed_in_owner_and_stranger)
    await store(world["images"])  # type: ignore[arg-type]
    ids = world["ids"]

    response = await api.get("/api/gallery/download.zip", params={"ids": ",".join(ids)},  # type: ignore[arg-type]
                             headers=cookie(world["owner"]))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 4
    images = sorted(n for n in names if n.endswith(".png"))
    assert all(archive.read(n) == b"bytes of FULL" for n in images)
    texts = {n: archive.read(n).decode() for n in names if n.endswith(".txt")}
    assert any(t.startswith("a lighthouse at dusk\n") for t in texts.values())
    assert all("Seed: 4242" in t and "Size: 512x512" in t for t in texts.values())


async def test_a_stranger_cannot_zip_someone_elses_images(api: httpx.AsyncClient) -> None:
    world = await asyncio.to_thread(signed_in_owner_and_stranger)

    response = await api.get("/api/gallery/download.zip", params={"ids": ",".join(world["ids"])},  # type: ignore[arg-type]
                             headers=cookie(world["stranger"]))
    signed_out = await api.get("/api/gallery/download.zip", params={"ids": ",".join(world["ids"])})  # type: ignore[arg-type]

    assert response.status_code == 404
    assert b"lighthouse" not in response.content
    assert signed_out.status_code == 401


def gallery_state(token: object) -> GalleryState:
    """A GalleryState as the server builds it for a browser sending this session cookie."""
    root = rx.State(_reflex_internal_init=True)
    router_data: dict[str, Any] = {
        "headers": {"cookie": f"{sessions.SESSION_COOKIE}={token}"}, "pathname": "/gallery", "asPath": "/gallery",
        "query": {}, "token": "client", "sid": "sid", "ip": "127.0.0.1",
    }
    root.router_data = router_data
    root.router = RouterData.from_router_data(router_data)
    state = root.get_substate(GalleryState.get_full_name().split("."))
    assert isinstance(state, GalleryState)
    return state


async def test_page_handlers_called_with_someone_elses_id_change_and_show_nothing(live_db: Engine) -> None:
    world = await asyncio.to_thread(signed_in_owner_and_stranger)
    stranger = gallery_state(world["stranger"])
    target = world["ids"][0]  # type: ignore[index]

    await GalleryState.open_detail.fn(stranger, target)  # type: ignore[attr-defined]
    await GalleryState.toggle_favorite.fn(stranger, target)  # type: ignore[attr-defined]
    stranger.confirm_ids = [target]
    await GalleryState.confirm_delete.fn(stranger)  # type: ignore[attr-defined]

    assert stranger.detail == {} and not stranger.detail_open
    owner_view = gallery.detail(viewer_of(await asyncio.to_thread(owner_of, target)), generation_id=target)
    assert not owner_view.favorite


def owner_of(generation_id: str) -> str:
    with uow() as session:
        generation = session.get(Generation, generation_id)
        assert generation is not None
        return generation.user_id
