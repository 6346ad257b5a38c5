"""Test configuration: every real server the suite needs comes from a fixture plugin."""

from __future__ import annotations

import os
import tempfile

# Settings are read at import time: point them at a throwaway data directory first, and
# keep a developer's .env and services out of the suite.
os.environ["ENVIRONMENT"] = "test"
os.environ.setdefault("LOG_FORMAT", "console")
os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="dreampixel-test-")
for _name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET_IMAGES", "SMTP_HOST", "RESEND_API_KEY"):
    os.environ[_name] = ""

pytest_plugins = [
    "tests.fixtures.processes",
    "tests.fakes.providers",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.s3",
    "tests.fixtures.smtp",
    "tests.fixtures.database",
    "tests.fixtures.engine",
    "tests.fixtures.accounts",
    "tests.fixtures.api",
    "tests.fakes.oidc",
    "tests.fixtures.browser",
    "tests.fakes.scripted",
    "tests.fakes.stripe",
    "tests.fakes.webhook_receiver",
]


def pytest_sessionfinish(session: object, exitstatus: int) -> None:
    """Every server a fixture started must be gone by now: fail the run if one is left."""
    import psutil

    leftovers = [p for p in psutil.Process().children(recursive=True) if p.is_running() and p.status() != "zombie"]
    if leftovers:
        names = ", ".join(f"{p.name()}[{p.pid}]" for p in leftovers)
        print(f"\nprocesses left running after the suite: {names}")
        session.exitstatus = 1  # type: ignore[attr-defined]


def pytest_collection_modifyitems(session: object, config: object, items: list) -> None:  # type: ignore[type-arg]
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread
    for as long as the browser is open, and asyncio tests cannot start theirs beside it."""
    items.sort(key=lambda item: "/e2e/" in str(item.path) or "browser" in getattr(item, "fixturenames", ()))
