"""`make run` (python -m dreampixel.serve) leaves the checkout as it found it, and two instances
started from one checkout on different ports each serve pages that talk to their own port."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.fixtures.browser import APP_START_TIMEOUT, BUN, REPO, AppServer, reflex_env
from tests.fixtures.processes import free_port, running_process

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _git_status(*paths: str) -> str:
    result = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=REPO, capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def test_building_and_running_the_app_leaves_reflex_lock_unchanged(app_server: AppServer) -> None:
    assert app_server.base_url  # the production frontend has been built and is serving
    assert _git_status("reflex.lock") == ""


@contextmanager
def _served(data_dir: Path, port: int) -> Iterator[str]:
    """`python -m dreampixel.serve --port PORT` from the checkout, as `make run` starts it."""
    env = {**reflex_env(), "ENVIRONMENT": "test", "DATA_DIR": str(data_dir),
           "DATABASE_URL": f"sqlite:///{data_dir / 'dreampixel.db'}", "REDIS_URL": "", "PUBLIC_URL": "",
           "REFLEX_STATES_WORKDIR": str(data_dir / "states"), "PORT": str(port)}
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "dreampixel", "migrate"], cwd=REPO, env={**os.environ, **env}, check=True,
                   capture_output=True, timeout=120)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with running_process([sys.executable, "-m", "dreampixel.serve", "--port", str(port)],
                             ready=lambda: _answers(base_url), what=f"the app on port {port}",
                             timeout=APP_START_TIMEOUT, log_path=data_dir / "serve.log", env=env, cwd=REPO):
            yield base_url
    finally:
        shutil.rmtree(REPO / ".web-prod" / str(port), ignore_errors=True)


def _answers(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/api/health", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def _event_port(base_url: str) -> int:
    """The port the served pages open their event websocket to (baked into the build)."""
    html = httpx.get(base_url + "/", timeout=10).text
    [script] = set(re.findall(r"/assets/reflex-env-[\w-]+\.js", html))
    match = re.search(r"ws://[^/\"']+:(\d+)/_event", httpx.get(base_url + script, timeout=10).text)
    assert match is not None, "the pages name an event websocket"
    return int(match.group(1))


def test_two_instances_on_different_ports_each_serve_pages_for_their_own_port(tmp_path: Path) -> None:
    if not BUN.exists():
        pytest.skip(f"bun is not installed at {BUN}")
    first_port, second_port = free_port(), free_port()
    with ExitStack() as stack:
        first = stack.enter_context(_served(tmp_path / "first", first_port))
        second = stack.enter_context(_served(tmp_path / "second", second_port))
        assert _event_port(second) == second_port
        assert _event_port(first) == first_port
    assert _git_status("reflex.lock") == ""
