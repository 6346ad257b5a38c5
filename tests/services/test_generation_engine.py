"""The generation engine end to end: submit, the job, every status path, credits and events.

Jobs run in-process through the same functions the arq worker runs, against a real database
(committed data, so the job's threads see it) and real local storage.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image as PILImage
from sqlalchemy import func
from sqlmodel import Session, select

from dreampixel.core.db import uow
from dreampixel.core.models import (
    Generation,
    GenerationCreate,
    GenerationStatus,
    ImageType,
    Tier,
    User,
    utcnow,
)
from dreampixel.core.settings import settings
from services.credits.service import InsufficientCredits
from services.events import service as events
from services.generation import reaper, runner
from services.generation import service as generations
from services.images.parameters import read_parameters
from services.jobs import service as jobs
from services.moderation.service import PromptBlocked
from services.storage import get_storage
from tests.fakes.scripted import ScriptedProvider
from tests.fixtures.engine import Harness, balance_and_ledger, images_of, load, make_user, submit
from workers import generation as generation_job


async def test_a_submitted_generation_succeeds_and_is_charged_per_image(engine: Harness) -> None:
    user_id = make_user(credits=10)
    generation_id = await asyncio.to_thread(submit, user_id, num_variations=2, seed_requested=77)
    queued = load(generation_id)
    # The in-process worker may already have claimed it.
    assert queued.status in (GenerationStatus.QUEUED, GenerationStatus.PROCESSING) and queued.credits_held == 2
    assert balance_and_ledger(user_id) == (8, 8), "the hold is taken at submit"

    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.SUCCEEDED
    assert (done.credits_charged, done.credits_refunded, done.provider_used) == (2, 0, "local")
    assert done.seed_used == 77 and done.processing_time_ms is not None
    assert [a["provider"] for a in done.attempts] == ["local"] and done.attempts[0]["status"] == "succeeded"
    assert balance_and_ledger(user_id) == (8, 8)

    rows = images_of(generation_id)
    assert sorted(r.type.value for r in rows) == ["FULL", "FULL", "MEDIUM", "MEDIUM", "THUMBNAIL", "THUMBNAIL"]
    full = next(r for r in rows if r.type is ImageType.FULL and r.variation_index == 0)
    png = await get_storage().get(full.storage_key)
    assert PILImage.open(io.BytesIO(png)).size == (256, 256)
    params = read_parameters(png)
    assert params is not None and params["prompt"] == "a sunset over the ocean" and params["seed"] == 77


async def test_the_same_input_gives_the_same_image(engine: Harness) -> None:
    user_id = make_user(credits=10)
    first = await asyncio.to_thread(submit, user_id, seed_requested=5)
    second = await asyncio.to_thread(submit, user_id, seed_requested=5)
    await engine.settle()
    hashes = [next(r.sha256 for r in images_of(g) if r.type is ImageType.MEDIUM) for g in (first, second)]
    assert hashes[0] == hashes[1]


async def test_every_status_change_is_published_on_the_users_channel(engine: Harness) -> None:
    user_id = make_user(credits=5)
    seen: list[str] = []

    async def watch(ready: asyncio.Event) -> None:
        async with events.subscribe(user_id) as stream:
            ready.set()
            async for event in stream:
                seen.append(event["type"])
                if event["status"] == "succeeded":
                    return

    ready = asyncio.Event()
    watcher = asyncio.create_task(watch(ready))
    await ready.wait()
    await asyncio.to_thread(submit, user_id)
    await asyncio.wait_for(watcher, 30)
    assert seen == ["generation.queued", "generation.started", "generation.succeeded"]


async def test_a_retryable_failure_fails_over_to_the_next_provider(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].will("unavailable")
    user_id = make_user()
    generation_id = await asyncio.to_thread(submit, user_id)
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.SUCCEEDED and done.provider_used == "beta"
    assert [(a["provider"], a["status"], a["error_code"]) for a in done.attempts] == [
        ("alpha", "failed", "provider_unavailable"), ("beta", "succeeded", None)]


async def test_content_filtering_fails_at_once_without_failover_and_releases_the_hold(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].will("content_filtered")
    user_id = make_user(credits=3)
    generation_id = await asyncio.to_thread(submit, user_id)
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.FAILED and done.error_code == "content_filtered"
    assert "content policy" in (done.error_message or "")
    assert scripted["beta"].calls == [], "another provider is never asked for a filtered prompt"
    assert (done.credits_charged, done.credits_refunded) == (0, 1)
    assert balance_and_ledger(user_id) == (3, 3)
    assert images_of(generation_id) == []


async def test_retryable_failures_everywhere_are_retried_then_fail_with_a_refund(
    engine: Harness, scripted: dict[str, ScriptedProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "generation_max_retries", 2)
    monkeypatch.setattr(runner, "backoff_delay", lambda *a, **k: 0.01)
    for provider in scripted.values():
        provider.will(*["unavailable"] * 10)
    user_id = make_user(credits=4)
    generation_id = await asyncio.to_thread(submit, user_id)
    for _ in range(50):
        await engine.settle()
        if load(generation_id).status.is_final:
            break
        await asyncio.sleep(0.05)
    done = load(generation_id)
    assert done.status is GenerationStatus.FAILED and done.retry_count == 2
    assert len(scripted["alpha"].calls) == 3 and len(scripted["beta"].calls) == 3
    assert done.credits_refunded == 1 and balance_and_ledger(user_id) == (4, 4)


async def test_a_provider_that_keeps_failing_is_skipped_until_its_cool_down(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    from services.providers.breaker import breaker_for

    breaker = breaker_for("alpha")
    clock = [1000.0]
    breaker.clock = lambda: clock[0]
    scripted["alpha"].will(*["unavailable"] * breaker.failure_threshold)
    user_id = make_user(credits=20)
    for _ in range(breaker.failure_threshold):
        await asyncio.to_thread(submit, user_id)
        await engine.settle()
    calls_when_open = len(scripted["alpha"].calls)
    skipped = await asyncio.to_thread(submit, user_id)
    await engine.settle()
    assert len(scripted["alpha"].calls) == calls_when_open, "an open circuit sends nothing"
    assert load(skipped).attempts[0]["error_code"] == "circuit_open"
    assert load(skipped).provider_used == "beta"

    clock[0] += breaker.cooldown_seconds + 1
    probed = await asyncio.to_thread(submit, user_id)
    await engine.settle()
    assert load(probed).provider_used == "alpha", "after the cool-down one probe goes out and closes it"
    assert breaker.state.value == "closed"


async def test_canceling_a_queued_generation_ends_it_at_once(engine: Harness) -> None:
    user_id = make_user(credits=2)
    with uow() as session:  # submitted without a queue: it stays queued
        jobs_queue = jobs.uninstall()
        user = session.get(User, user_id)
        assert user is not None
        generation = generations.submit(session, user=user, request=GenerationCreate(prompt="a cat", width=256,
                                                                                     height=256))
        generation_id = generation.id
    jobs.install(jobs_queue)  # type: ignore[arg-type]
    with uow() as session:
        generations.cancel(session, user_id=user_id, generation_id=generation_id)
    done = load(generation_id)
    assert done.status is GenerationStatus.CANCELED and done.credits_refunded == 1
    assert balance_and_ledger(user_id) == (2, 2)
    assert await generation_job.run({}, generation_id) == "skipped", "a late job does nothing"


async def test_canceling_while_processing_discards_the_result_and_charges_the_provider_work(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].gate = asyncio.Event()
    scripted["alpha"].will(("wait",))
    user_id = make_user(credits=2)
    generation_id = await asyncio.to_thread(submit, user_id)
    for _ in range(100):
        if scripted["alpha"].calls:
            break
        await asyncio.sleep(0.02)
    assert load(generation_id).status is GenerationStatus.PROCESSING

    def cancel() -> None:
        with uow() as session:
            generations.cancel(session, user_id=user_id, generation_id=generation_id)

    await asyncio.to_thread(cancel)
    scripted["alpha"].gate.set()
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.CANCELED
    assert (done.credits_charged, done.credits_refunded) == (1, 0), "the provider was already paid"
    assert balance_and_ledger(user_id) == (1, 1)
    assert images_of(generation_id) == []
    assert not list(engine.storage_dir.rglob(f"*{generation_id}*")), "no file of a discarded result is kept"


async def test_canceling_a_finished_generation_is_refused(engine: Harness) -> None:
    user_id = make_user()
    generation_id = await asyncio.to_thread(submit, user_id)
    await engine.settle()
    with pytest.raises(generations.NotCancelable), uow() as session:
        generations.cancel(session, user_id=user_id, generation_id=generation_id)


async def test_retrying_a_failed_generation_makes_a_new_one_with_the_same_input(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].will("content_filtered")
    user_id = make_user(credits=5)
    failed_id = await asyncio.to_thread(submit, user_id, prompt="a red fox in snow", seed_requested=9)
    await engine.settle()

    def retry() -> str:
        with uow() as session:
            user = session.get(User, user_id)
            assert user is not None
            return generations.retry(session, user=user, generation_id=failed_id).id

    new_id = await asyncio.to_thread(retry)
    await engine.settle()
    retried = load(new_id)
    assert new_id != failed_id and retried.retry_of_id == failed_id
    assert (retried.prompt, retried.seed_used, retried.status) == ("a red fox in snow", 9, GenerationStatus.SUCCEEDED)


async def test_a_generation_past_its_deadline_expires_and_is_refunded(
    engine: Harness, scripted: dict[str, ScriptedProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "generation_timeout_seconds", 1)
    scripted["alpha"].will(("sleep", 5))
    user_id = make_user(credits=2)
    generation_id = await asyncio.to_thread(submit, user_id)
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.EXPIRED and done.error_code == "deadline_exceeded"
    assert balance_and_ledger(user_id) == (2, 2)


async def test_a_job_run_twice_charges_and_stores_once(engine: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    user_id = make_user(credits=5)
    crashed = {"once": False}
    real_succeed = generations.succeed

    def crash_after_storing(session: Session, generation: Generation, delivery: Any) -> bool:
        if not crashed["once"]:
            crashed["once"] = True
            raise RuntimeError("the worker died after storing the files")
        return real_succeed(session, generation, delivery)

    monkeypatch.setattr(generations, "succeed", crash_after_storing)
    generation_id = await asyncio.to_thread(submit, user_id)
    await engine.settle()
    assert load(generation_id).status is GenerationStatus.PROCESSING, "the crash left it processing"
    files_after_crash = sorted(p.name for p in engine.storage_dir.rglob("*") if p.is_file() and generation_id in str(p))

    def sweep_later() -> dict[str, int]:
        with uow() as session:
            return reaper.reap(session, now=utcnow() + timedelta(
                seconds=settings.generation_provider_timeout_seconds + reaper.GRACE_SECONDS + 1))

    assert (await asyncio.to_thread(sweep_later))["requeued"] == 1
    await engine.settle()
    done = load(generation_id)
    assert done.status is GenerationStatus.SUCCEEDED and done.credits_charged == 1
    assert len(images_of(generation_id)) == 3, "one full, one medium, one thumbnail: no duplicates"
    assert sorted(p.name for p in engine.storage_dir.rglob("*") if p.is_file() and generation_id in str(p)) == \
        files_after_crash
    assert await generation_job.run({}, generation_id) == "skipped"
    assert balance_and_ledger(user_id) == (4, 4)


async def test_submit_without_enough_credits_is_refused_and_writes_nothing(engine: Harness) -> None:
    user_id = make_user(credits=1)
    with pytest.raises(InsufficientCredits):
        await asyncio.to_thread(submit, user_id, num_variations=2)
    with uow() as session:
        assert session.exec(select(func.count()).select_from(Generation)).one() == 0
    assert balance_and_ledger(user_id) == (1, 1)


async def test_the_daily_limit_of_a_free_account_is_one(engine: Harness) -> None:
    user_id = make_user(credits=10, tier=Tier.FREE)
    await asyncio.to_thread(submit, user_id)
    with pytest.raises(generations.DailyLimitReached) as refused:
        await asyncio.to_thread(submit, user_id)
    assert refused.value.status_code == 429
    assert int(refused.value.headers["Retry-After"]) > 86_000
    assert refused.value.extra["resets_at"]
    assert balance_and_ledger(user_id) == (9, 9), "the refused submit held nothing"


async def test_a_failed_generation_does_not_count_against_the_daily_limit(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].will("content_filtered")
    user_id = make_user(credits=10, tier=Tier.FREE)
    await asyncio.to_thread(submit, user_id)
    await engine.settle()
    second = await asyncio.to_thread(submit, user_id)  # a FREE account's one a day: accepted, not refused
    # The in-process worker may have picked it up already.
    assert load(second).status in (GenerationStatus.QUEUED, GenerationStatus.PROCESSING, GenerationStatus.SUCCEEDED)


async def test_a_blocked_prompt_is_refused_before_anything_is_held(engine: Harness) -> None:
    user_id = make_user(credits=3)
    with pytest.raises(PromptBlocked) as refused:
        await asyncio.to_thread(submit, user_id, prompt="extreme GORE scene")
    assert "graphic violence" in refused.value.message
    assert balance_and_ledger(user_id) == (3, 3)


async def test_an_unverified_account_cannot_generate(engine: Harness) -> None:
    user_id = make_user(credits=3, email_verified_at=None)
    with pytest.raises(generations.EmailNotVerified):
        await asyncio.to_thread(submit, user_id)


async def test_queued_generations_know_their_position(engine: Harness) -> None:
    queue = jobs.uninstall()  # nothing runs: everything stays queued
    try:
        user_id = make_user(credits=10)
        ids = [await asyncio.to_thread(submit, user_id) for _ in range(3)]
        with uow() as session:
            positions = [generations.queue_position(session, session.get(Generation, i))["position"] for i in ids]
        assert positions == [1, 2, 3]
    finally:
        jobs.install(queue)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_fifty_concurrent_submits_with_credits_for_five_accept_exactly_five(engine: Harness) -> None:
    queue = jobs.uninstall()
    try:
        user_id = make_user(credits=5, tier=Tier.ENTERPRISE)
        barrier = asyncio.Barrier(50)

        async def one() -> str:
            await barrier.wait()
            try:
                return await asyncio.to_thread(submit, user_id)
            except InsufficientCredits:
                return "refused"

        results = await asyncio.gather(*(one() for _ in range(50)))
        assert sum(r != "refused" for r in results) == 5
        assert balance_and_ledger(user_id) == (0, 0)
    finally:
        jobs.install(queue)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_concurrent_submits_never_pass_the_daily_limit(engine: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "generation_limit_pro", 3)
    queue = jobs.uninstall()
    try:
        user_id = make_user(credits=50, tier=Tier.PRO)
        results = await asyncio.gather(*(asyncio.to_thread(_submit_or_refuse, user_id) for _ in range(20)))
        assert results.count("accepted") == 3
        assert balance_and_ledger(user_id) == (47, 47)
    finally:
        jobs.install(queue)  # type: ignore[arg-type]


def _submit_or_refuse(user_id: str) -> str:
    try:
        submit(user_id)
        return "accepted"
    except generations.DailyLimitReached:
        return "limited"


async def test_a_failed_generation_is_reported_to_its_owner_by_email(
    engine: Harness, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].will("content_filtered")
    user_id = make_user(credits=3)
    await asyncio.to_thread(submit, user_id, prompt="a storm over the bay")
    await engine.settle()
    [mail] = sorted(settings.outbox_dir.glob("*.eml"))
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Your image could not be generated"
    assert "storm over the bay" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_crossing_the_low_credit_line_sends_one_email(engine: Harness) -> None:
    user_id = make_user(credits=6)
    await asyncio.to_thread(submit, user_id)  # 6 -> 5: still at the line
    assert list(settings.outbox_dir.glob("*.eml")) == []
    await asyncio.to_thread(submit, user_id)  # 5 -> 4: crossed
    await asyncio.to_thread(submit, user_id)  # 4 -> 3: already below, no second mail
    await engine.settle()
    mails = [email.message_from_bytes(p.read_bytes()) for p in settings.outbox_dir.glob("*.eml")]
    assert len(mails) == 1 and "credit" in mails[0]["Subject"].lower()


async def test_deleting_a_queued_generation_from_the_gallery_returns_its_credits(engine: Harness) -> None:
    from services.gallery import service as gallery

    queue = jobs.uninstall()
    try:
        user_id = make_user(credits=3)
        generation_id = await asyncio.to_thread(submit, user_id)
        assert balance_and_ledger(user_id) == (2, 2)
        with uow() as session:
            gallery.delete_generations(session, user_id=user_id, generation_ids=[generation_id])
        assert balance_and_ledger(user_id) == (3, 3)
    finally:
        jobs.install(queue)  # type: ignore[arg-type]
