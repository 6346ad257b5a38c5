"""Faults in the running topology, each followed by the same invariants (Stack.check_invariants):
every generation ends within its deadline, the ledger adds up to every balance, every
succeeded generation's files are in S3, every final webhook arrived, nothing charged twice."""

from __future__ import annotations

import secrets
import time

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from dreampixel.core.models import Generation
from tests.topology.conftest import FINAL, Stack
from tests.topology.helpers import LIVE_TIMEOUT, card, signed_in_page, websocket_backend

pytestmark = [pytest.mark.topology, pytest.mark.e2e, pytest.mark.slow]


def _started_by(stack: Stack, generation_id: str, *, timeout: float = 30) -> str:
    """The worker whose log says it started `generation_id`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in stack.topology.worker_names:
            log = stack.topology.tail(name, 10**7)
            if any('"generation.started"' in line and generation_id in line for line in log.splitlines()):
                return name
        time.sleep(0.1)
    raise AssertionError(f"no worker started {generation_id}")


def _generation(stack: Stack, generation_id: str) -> Generation:
    with Session(stack.engine) as session:
        generation = session.get(Generation, generation_id)
        assert generation is not None
        return generation


def test_a_worker_killed_mid_job_leaves_its_generation_to_the_workers(fakes: Stack) -> None:
    fakes.stability.script("slow", seconds=5)
    generation_id = fakes.submit()
    victim = _started_by(fakes, generation_id)
    fakes.wait_status(generation_id, {"processing"})
    fakes.topology.kill_supervised(victim)  # its supervisor starts it again, as a service manager would
    # The run's heartbeat stopped with it; after 4 missed beats the reaper sends it back to the queue.
    assert fakes.settle([generation_id]) == ["succeeded"]
    assert len(fakes.processed_by(generation_id)) == 1
    assert _generation(fakes, generation_id).retry_count == 1
    fakes.check_invariants()


def test_an_app_backend_killed_under_a_browser_hands_it_to_the_other(fakes: Stack, browser: Browser) -> None:
    topology = fakes.topology
    with signed_in_page(browser, fakes) as page:
        before = websocket_backend(fakes)
        topology.kill_supervised(topology.backend_names[before])
        # socket.io reconnects through nginx, which passes over the dead backend.
        assert websocket_backend(fakes, timeout=30) == 1 - before
        prompt = f"a kite over dunes {secrets.token_hex(3)}"
        fakes.submit(prompt=prompt)  # through nginx too
        shown = card(page, prompt)
        expect(shown).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
    fakes.check_invariants()


def test_redis_restarting_loses_no_job(fakes: Stack) -> None:
    fakes.stability.script("slow", seconds=3)
    running = fakes.submit()
    fakes.wait_status(running, {"processing"})
    fakes.topology.restart("redis")
    after = fakes.submit()  # accepted, queued and run once Redis is back
    assert fakes.settle([running, after]) == ["succeeded", "succeeded"]
    fakes.check_invariants()


def test_postgresql_restarting_loses_no_generation(fakes: Stack) -> None:
    fakes.stability.script("slow", seconds=3)
    running = fakes.submit()
    fakes.wait_status(running, {"processing"})
    fakes.topology.stop_postgres(mode="fast")
    time.sleep(1)
    fakes.topology.start_postgres()
    after = fakes.submit()
    # A unit of work that meets a pooled connection the restart dropped runs again on a new one:
    # both generations end within the usual time on their first run. wait_status never runs the
    # reaper (settle would), and the workers' own reaper leaves a heartbeating run alone.
    assert [fakes.wait_status(g, FINAL) for g in (running, after)] == ["succeeded", "succeeded"]
    for generation_id in (running, after):
        assert _generation(fakes, generation_id).retry_count == 0, "the job was not sent again"
        assert len(fakes.processed_by(generation_id)) == 1
    fakes.check_invariants()


def test_a_provider_outage_fails_over_to_the_next_real_provider(fakes: Stack) -> None:
    fakes.stability.script("status", 503)
    fakes.stability.script("slow", seconds=10)  # past GENERATION_PROVIDER_TIMEOUT_SECONDS (6)
    refused, hung = fakes.submit(), fakes.submit()
    for generation_id in (refused, hung):
        assert fakes.wait_status(generation_id, {"succeeded", "failed"}) == "succeeded"
        generation = _generation(fakes, generation_id)
        assert generation.provider_used == "replicate"
        assert [a["provider"] for a in generation.attempts] == ["stability", "replicate"]
        assert generation.attempts[0]["error_code"] is not None, generation.attempts
    fakes.check_invariants()


def test_seaweedfs_down_for_ten_seconds_delays_but_loses_nothing(fakes: Stack) -> None:
    fakes.topology.stop("s3")
    try:
        generation_id = fakes.submit()
        time.sleep(10)
    finally:
        fakes.topology.start("s3")
    assert fakes.settle([generation_id], timeout=90) == ["succeeded"]
    fakes.check_invariants()
