"""The generate page's edge: display values out, and nobody reaches another user's generations."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image
from sqlalchemy import Engine

from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound, ValidationFailed
from dreampixel.core.models import ModerationStatus
from services.generation.service import EmailNotVerified
from services.images.parameters import pnginfo
from services.images.validation import InvalidImage
from services.moderation.service import PromptBlocked
from states.edge import generation as edge
from states.edge.accounts import Viewer
from tests.factories import create_seed
from tests.fixtures.engine import Harness, make_user


def viewer_of(user_id: str, *, verified: bool = True) -> Viewer:
    return Viewer(user_id=user_id, session_id="ses_test", name="Ada", email="ada@example.test", role="USER",
                  verified=verified)


async def test_submit_returns_a_queued_card_and_the_pushed_result_reads_back_succeeded(engine: Harness) -> None:
    viewer = viewer_of(make_user(credits=10))

    card = await asyncio.to_thread(edge.submit, viewer,
                                   edge.FormInput(prompt="a lighthouse at dusk", seed=42, width=256, height=256))

    assert card.status == "queued" and card.active and card.status_label == "Queued"
    assert card.prompt == "a lighthouse at dusk" and card.seed == "42" and card.cost == "1 credit"
    assert card.queue_position >= 1
    await engine.settle()
    done = edge.card(viewer, card.id)
    assert done.status == "succeeded" and not done.active and done.provider_used == "local"
    assert len(done.images) == 1 and done.images[0].url and done.images[0].thumbnail_url
    assert edge.account(viewer).credits == 9


async def test_another_user_can_neither_read_nor_cancel_a_generation(engine: Harness) -> None:
    owner, stranger = viewer_of(make_user()), viewer_of(make_user())
    card = await asyncio.to_thread(edge.submit, owner, edge.FormInput(prompt="a quiet harbour", width=256,
                                                                            height=256))

    with pytest.raises(NotFound):
        edge.card(stranger, card.id)
    with pytest.raises(NotFound):
        edge.cancel(stranger, card.id)
    with pytest.raises(NotFound):
        edge.retry(stranger, card.id)
    assert edge.cancel(owner, card.id).status == "canceled"
    await engine.settle()


async def test_a_blocked_prompt_is_refused_with_its_reason(engine: Harness) -> None:
    viewer = viewer_of(make_user())
    with pytest.raises(PromptBlocked):
        edge.submit(viewer, edge.FormInput(prompt="gore", width=256, height=256))


async def test_an_unverified_account_cannot_submit(engine: Harness) -> None:
    viewer = viewer_of(make_user(email_verified_at=None), verified=False)
    with pytest.raises(EmailNotVerified):
        edge.submit(viewer, edge.FormInput(prompt="a quiet harbour", width=256, height=256))


def test_out_of_range_input_is_a_validation_error_naming_the_field() -> None:
    with pytest.raises(ValidationFailed, match="Steps"):
        edge.submit(viewer_of("usr_none"), edge.FormInput(prompt="x", steps=500))


def test_a_png_with_parameters_restores_the_form_values() -> None:
    buffer = io.BytesIO()
    params = {"prompt": "a red fox", "negative_prompt": "blurry", "seed": 7, "width": 832, "height": 1216,
              "steps": 20, "guidance_scale": 6.0}
    Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=pnginfo(params))

    values = edge.read_png_parameters(buffer.getvalue())

    assert values == {"prompt": "a red fox", "negative_prompt": "blurry", "seed": "7", "width": "832",
                      "height": "1216", "steps": "20", "guidance": "6.0"}
    assert edge.read_png_parameters(b"not an image") is None


def _png(colour: str = "teal", size: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_reference_image_is_stored_once_per_user(engine: Harness) -> None:
    viewer = viewer_of(make_user())

    first = await edge.store_reference(viewer, _png(), source="upload")
    again = await edge.store_reference(viewer, _png(), source="upload")

    assert first.id == again.id and first.thumbnail_url and (first.width, first.height) == (64, 64)
    card = await asyncio.to_thread(edge.submit, viewer, edge.FormInput(prompt="like this", width=256, height=256,
                                                                          reference_image_id=first.id))
    assert card.status == "queued"
    await engine.settle()


async def test_a_file_that_is_not_an_image_is_refused_clearly(engine: Harness) -> None:
    with pytest.raises(InvalidImage):
        await edge.store_reference(viewer_of(make_user()), b"%PDF-1.7 not an image", source="upload")


async def test_someone_elses_reference_image_cannot_be_used(engine: Harness) -> None:
    owner, stranger = viewer_of(make_user()), viewer_of(make_user())
    reference = await edge.store_reference(owner, _png("navy"), source="upload")
    with pytest.raises(NotFound):
        await asyncio.to_thread(edge.submit, stranger, edge.FormInput(prompt="like this", width=256, height=256,
                                                                         reference_image_id=reference.id))


def test_a_seed_fills_the_form_with_its_title_and_provider(live_db: Engine) -> None:
    with uow() as session:
        seed = create_seed(session, title="Copper forest", recipe={
            "prompt": "a misty pine forest, copper", "width": 768, "height": 512, "steps": 20, "provider": "local"})
        seed_id, number = seed.id, seed.seed_number

    recipe = edge.seed_recipe(seed_id)

    assert recipe.id == seed_id and recipe.title == "Copper forest"
    assert recipe.values["provider"] == "local" and recipe.values["prompt"] == "a misty pine forest, copper"
    assert recipe.values["seed"] == str(number) and recipe.values["seed_id"] == seed_id
    assert (recipe.values["width"], recipe.values["height"], recipe.values["steps"]) == ("768", "512", "20")


def test_a_seed_awaiting_moderation_does_not_fill_the_form(live_db: Engine) -> None:
    with uow() as session:
        seed_id = create_seed(session, moderation_status=ModerationStatus.PENDING).id

    with pytest.raises(NotFound):
        edge.seed_recipe(seed_id)
