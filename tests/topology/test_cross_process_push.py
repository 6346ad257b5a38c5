"""Cross-process push: a browser whose websocket is on one backend sees live a generation that
the other backend accepted through the API and the second worker processed."""

from __future__ import annotations

import secrets
import signal

import pytest
from playwright.sync_api import Browser, expect

from tests.topology.conftest import Stack
from tests.topology.helpers import LIVE_TIMEOUT, card, signed_in_page, websocket_backend

pytestmark = [pytest.mark.topology, pytest.mark.e2e, pytest.mark.slow]


def test_a_generation_accepted_by_one_backend_and_run_by_worker_2_shows_live_on_the_other(
        fakes: Stack, browser: Browser) -> None:
    topology = fakes.topology
    with signed_in_page(browser, fakes) as page:
        a = websocket_backend(fakes)
        b = 1 - a
        prompt = f"a paper boat on a canal {secrets.token_hex(3)}"
        fakes.stability.script("slow", seconds=1.5)  # long enough for the card to be seen running
        # Worker 1 holds still, so worker 2 takes the job.
        topology.signal("worker-1", signal.SIGSTOP)
        try:
            generation_id = fakes.submit(prompt=prompt, base_url=topology.backend_url(b))
            shown = card(page, prompt)
            expect(shown).to_be_visible(timeout=LIVE_TIMEOUT)
            expect(shown).to_have_attribute("data-status", "succeeded", timeout=LIVE_TIMEOUT)
            expect(shown.get_by_role("img").first).to_be_visible()
        finally:
            topology.signal("worker-1", signal.SIGCONT)
        assert websocket_backend(fakes) == a, "the page stayed on its backend throughout"

    accepted_by = [name for name in topology.backend_names
                   if f'"generation_id": "{generation_id}"' in topology.tail(name, 10**7)]
    assert accepted_by == [topology.backend_names[b]]
    assert fakes.processed_by(generation_id) == ["worker-2"]
    fakes.check_invariants()
