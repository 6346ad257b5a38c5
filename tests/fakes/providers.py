"""Fake Stability, Replicate and Gemini HTTP APIs for the provider clients' tests.

Each fake is a small Starlette app served by uvicorn in a background thread on a free loopback
port. It answers the request shapes documented in /work/shared/PROVIDERS.md and validates them the
way the real service would (auth header, multipart, enums, ranges), so a client that sends the wrong
shape fails its test. Tests steer it with a script of behaviours, consumed one per generation call:

    fake.script("status", 429, headers={"Retry-After": "2"})   # an error answer (provider-shaped body)
    fake.script("slow", seconds=0.5)                             # wait, then answer normally
    fake.script("malformed")                                     # 200 with a body that is not usable
    fake.script("content_filtered")                              # the provider's 200 safety form

and reads back what it received: `fake.requests` (every request, health and downloads included),
`fake.generations` (the generation calls only) and `fake.last`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.gemini import FakeGemini
from tests.fakes.replicate import FLUX_SCHNELL_VERSION, FakeReplicate
from tests.fakes.server import FakeProvider, Received, solid_image
from tests.fakes.stability import FakeStability

__all__ = ["FLUX_SCHNELL_VERSION", "FakeGemini", "FakeProvider", "FakeReplicate", "FakeStability", "Received",
           "solid_image"]


@pytest.fixture(scope="session")
def _stability_server() -> Iterator[FakeStability]:
    fake = FakeStability()
    with fake.serve():
        yield fake


@pytest.fixture(scope="session")
def _replicate_server() -> Iterator[FakeReplicate]:
    fake = FakeReplicate()
    with fake.serve():
        yield fake


@pytest.fixture(scope="session")
def _gemini_server() -> Iterator[FakeGemini]:
    fake = FakeGemini()
    with fake.serve():
        yield fake


@pytest.fixture
def stability_fake(_stability_server: FakeStability) -> Iterator[FakeStability]:
    """The fake Stability API with an empty script and request log."""
    _stability_server.reset()
    yield _stability_server
    _stability_server.reset()


@pytest.fixture
def replicate_fake(_replicate_server: FakeReplicate) -> Iterator[FakeReplicate]:
    """The fake Replicate API with an empty script, request log and prediction store."""
    _replicate_server.reset()
    yield _replicate_server
    _replicate_server.reset()


@pytest.fixture
def gemini_fake(_gemini_server: FakeGemini) -> Iterator[FakeGemini]:
    """The fake Gemini API with an empty script and request log."""
    _gemini_server.reset()
    yield _gemini_server
    _gemini_server.reset()
