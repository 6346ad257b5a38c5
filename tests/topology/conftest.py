"""The production topology for the proof suite: nginx, two app backends, two workers, PostgreSQL,
Redis and SeaweedFS, started once for the package by deploy/topology.py on free ports.

The image providers are the fake Stability and Replicate servers of tests/fakes (Stability
first, Replicate its fallback), run in this process, so a test scripts an outage or a slow
answer. Webhooks go to a receiver on loopback. Every generation a test submits is recorded,
and `Stack.check_invariants()` checks them all after each fault.
"""

from __future__ import annotations

import importlib.util
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine, create_engine, func, pool
from sqlmodel import Session, col, select

from dreampixel.core.models import CreditLedger, Generation, GenerationStatus, Image, User, WebhookDelivery
from dreampixel.export import ROOT, is_current
from tests.fakes.providers import FakeReplicate, FakeStability
from tests.fakes.webhook_receiver import Receiver, start_receiver
from tests.fixtures.browser import BUN


def _launcher() -> Any:
    """deploy/topology.py, the launcher `make topology` runs (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("dreampixel_topology", ROOT / "deploy" / "topology.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


launcher = _launcher()
Topology = launcher.Topology
LOGS = ROOT / "test-artifacts" / "topology-logs"

PASSWORD = "violet-lighthouse-42"
FINAL = {"succeeded", "failed", "canceled", "expired"}
FINAL_STATUSES = (GenerationStatus.SUCCEEDED, GenerationStatus.FAILED, GenerationStatus.CANCELED,
                  GenerationStatus.EXPIRED)
# How long a generation may take to end after a fault, in the worst case the suite allows:
# the reaper presumes a run dead after 4 missed heartbeats (1 s each here).
SETTLE_SECONDS = 60


@dataclass
class Stack:
    """The running topology and what the tests use to drive and check it."""

    topology: Any  # deploy/topology.py's Topology
    engine: Engine
    receiver: Receiver
    stability: FakeStability
    replicate: FakeReplicate
    email: str
    user_id: str
    api_key: str
    submitted: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.topology.url

    def api(self, base_url: str | None = None, *, timeout: float = 30) -> httpx.Client:
        """An API client with the user's key, through nginx unless `base_url` names a backend."""
        return httpx.Client(base_url=base_url or self.url, headers={"X-API-Key": self.api_key}, timeout=timeout)

    def submit(self, *, prompt: str | None = None, base_url: str | None = None, attempts: int = 20) -> str:
        """POST /api/v1/generations with an Idempotency-Key, retried as a client would while a
        fault lasts; returns the generation's id."""
        body = {"prompt": prompt or f"a lighthouse at dusk {secrets.token_hex(3)}", "width": 512, "height": 512}
        key = uuid.uuid4().hex
        last: Any = None
        with self.api(base_url) as client:
            for _ in range(attempts):
                try:
                    answer = client.post("/api/v1/generations", json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError as error:
                    last = error
                else:
                    if answer.status_code in (201, 202):
                        generation_id = str(answer.json()["id"])
                        self.submitted.append(generation_id)
                        return generation_id
                    last = f"{answer.status_code} {answer.text[:300]}"
                    if answer.status_code < 500 and answer.status_code != 409:
                        break
                time.sleep(0.5)
        raise AssertionError(f"the generation was not accepted: {last}")

    def status(self, generation_id: str) -> str:
        with Session(self.engine) as session:
            generation = session.get(Generation, generation_id)
            assert generation is not None
            return generation.status.value

    def wait_status(self, generation_id: str, statuses: set[str], *, timeout: float = SETTLE_SECONDS) -> str:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(generation_id)
            if status in statuses:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"{generation_id} is {status}, not {sorted(statuses)}, after {timeout:.0f} s")
            time.sleep(0.1)

    def processed_by(self, generation_id: str) -> list[str]:
        """The workers whose log says they finished `generation_id`."""
        return [name for name in self.topology.worker_names
                if f'"generation_id": "{generation_id}"' in _succeeded_lines(self.topology.tail(name, 10**7))]

    def settle(self, generation_ids: list[str], *, timeout: float = SETTLE_SECONDS) -> list[str]:
        """Wait until every generation is final; while one is processing, run the reaper every
        few seconds (a run whose worker died stops heartbeating and goes back to the queue)."""
        started = time.monotonic()
        deadline = started + timeout
        last_reap = started
        while True:
            statuses = [self.status(generation_id) for generation_id in generation_ids]
            if set(statuses) <= FINAL:
                return statuses
            if time.monotonic() > deadline:
                left = dict(zip(generation_ids, statuses, strict=True))
                raise AssertionError(f"not final after {timeout:.0f} s: {left}")
            # The reaper also sends the job again for a generation queued over a minute (a job
            # that failed or was lost).
            waiting = "processing" in statuses or ("queued" in statuses and time.monotonic() - started > 62)
            if waiting and time.monotonic() - last_reap > 5:
                self.reap()
                last_reap = time.monotonic()
            time.sleep(0.2)

    def reap(self) -> None:
        """What the workers' reaper cron does every minute, now (`python -m dreampixel reap`)."""
        self.topology.cli("reap", timeout=60)

    # --- the invariants -------------------------------------------------------------------------

    def check_invariants(self, *, timeout: float = SETTLE_SECONDS) -> None:
        """Nothing lost, nothing charged twice, for every generation submitted so far."""
        deadline = time.monotonic() + timeout
        # 1. Every generation reaches a final status, within its deadline.
        for generation_id in self.submitted:
            self.wait_status(generation_id, FINAL, timeout=max(deadline - time.monotonic(), 1))
        s3 = self.topology.s3().client()
        bucket = launcher.IMAGES_BUCKET
        with Session(self.engine) as session:
            generations = session.exec(select(Generation).where(col(Generation.id).in_(self.submitted))).all()
            assert len(generations) == len(self.submitted)
            for generation in generations:
                assert generation.completed_at is not None and generation.deadline_at is not None
                assert generation.completed_at <= generation.deadline_at or generation.status is GenerationStatus.EXPIRED
                # 2. No credit charged twice: one hold, at most one release, and what the
                #    ledger took for the generation is what the generation says it charged.
                rows = session.exec(select(CreditLedger).where(CreditLedger.reference == generation.id)).all()
                holds = [r for r in rows if r.reason.value == "hold"]
                releases = [r for r in rows if r.reason.value == "release"]
                assert len(holds) == 1 and len(releases) <= 1, (generation.id, [(r.reason, r.delta) for r in rows])
                taken = -sum(r.delta for r in rows)
                assert taken == generation.credits_charged, (generation.id, taken, generation.credits_charged)
                if generation.status is GenerationStatus.SUCCEEDED:
                    assert generation.credits_charged == generation.credits_held > 0
                    # 3. Every succeeded generation's files exist in S3.
                    images = session.exec(select(Image).where(Image.generation_id == generation.id)).all()
                    assert images, f"{generation.id} succeeded without images"
                    for image in images:
                        s3.head_object(Bucket=bucket, Key=image.storage_key)
                else:
                    assert generation.credits_charged == 0, (generation.id, generation.status)
            # 4. The ledger adds up to every balance.
            users = session.exec(select(User)).all()
            for user in users:
                total = session.exec(select(func.coalesce(func.sum(CreditLedger.delta), 0))
                                     .where(CreditLedger.user_id == user.id)).one()
                assert user.credit_balance == total, (user.email, user.credit_balance, total)
        # 5. No webhook delivery is lost: every final event reached the receiver, signed.
        finals = {(f"generation.{g.status.value}", g.id) for g in generations}
        while True:
            received = {(d.body.get("type"), d.body.get("data", {}).get("id")) for d in self.receiver.received
                        if d.verified}
            missing = finals - received
            if not missing:
                break
            if time.monotonic() > deadline:
                with Session(self.engine) as session:
                    rows = session.exec(select(WebhookDelivery).where(WebhookDelivery.user_id == self.user_id)).all()
                    states = [(r.event_type, r.status.value, r.attempt_count, r.response_status) for r in rows]
                raise AssertionError(f"webhooks never received: {sorted(missing)}; deliveries: {states}")
            time.sleep(0.2)


def _succeeded_lines(log: str) -> str:
    return "\n".join(line for line in log.splitlines() if '"generation.succeeded"' in line)


def _ensure_frontend() -> None:
    if is_current(launcher.FRONTEND_DIR):
        return
    if not BUN.exists():
        pytest.skip(f"bun is not installed at {BUN} (npm install --prefix .tools bun@1.4.4)")
    done = subprocess.run([sys.executable, "-m", "dreampixel.export", "--out", str(launcher.FRONTEND_DIR)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, f"the frontend export failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"


@pytest.fixture(scope="package")
def stack(browser: Browser, _stability_server: FakeStability, _replicate_server: FakeReplicate) -> Iterator[Stack]:
    """The topology, up for the whole package. It asks for the browser so that pytest orders
    every topology test among the browser tests (tests/conftest.py), one run of the stack."""
    _ensure_frontend()
    receiver = start_receiver()
    env = {
        "AI_PROVIDER": "stability",
        "PROVIDER_ORDER": "stability,replicate",
        "STABILITY_API_KEY": _stability_server.api_key,
        "STABILITY_BASE_URL": _stability_server.base_url,
        "REPLICATE_API_TOKEN": _replicate_server.api_key,
        "REPLICATE_BASE_URL": _replicate_server.base_url,
        "GENERATION_HEARTBEAT_SECONDS": "1",
        "GENERATION_PROVIDER_TIMEOUT_SECONDS": "6",
        "GENERATION_TIMEOUT_SECONDS": "180",
        # The receiver runs on this machine: a development-only setting, refused in production.
        "WEBHOOKS_ALLOW_LOOPBACK": "true",
        "WEBHOOK_RETRY_FIRST_SECONDS": "1",
    }
    run_dir = launcher.temporary_run_dir()
    topology = Topology(run_dir, ports=launcher.Ports.free(backends=2), workers=2, extra_env=env)
    try:
        topology.up(seed_demo=False)
        email = f"topology-{secrets.token_hex(4)}@example.test"
        topology.cli("create-user", "--email", email, "--password", PASSWORD, "--name", "Ada", "--tier", "pro",
                     "--credits", "500", "--verified")
        api_key = topology.cli("create-api-key", "--email", email, "--name", "topology", "--scopes",
                               "generations:read,generations:write,images:read,webhooks:manage").strip().splitlines()[-1]
        engine = create_engine(topology.env["DATABASE_URL"], poolclass=pool.NullPool)
        with Session(engine) as session:
            user = session.exec(select(User).where(User.email == email)).one()
        stack = Stack(topology=topology, engine=engine, receiver=receiver, stability=_stability_server,
                      replicate=_replicate_server, email=email, user_id=user.id, api_key=api_key)
        with stack.api() as client:
            answer = client.post("/api/v1/webhook-endpoints", json={
                "url": receiver.url, "events": ["generation.succeeded", "generation.failed", "generation.expired",
                                                "generation.canceled"]})
            assert answer.status_code == 201, answer.text
            receiver.secret = answer.json()["secret"]
        yield stack
        engine.dispose()
    finally:
        topology.down()
        receiver.server.shutdown()
        receiver.server.server_close()
        _stability_server.reset()
        _replicate_server.reset()
        # The processes' logs outlive the run directory, for a failure to be read.
        shutil.rmtree(LOGS, ignore_errors=True)
        if topology.logs.exists():
            shutil.copytree(topology.logs, LOGS)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture
def fakes(stack: Stack) -> Iterator[Stack]:
    """The stack with the providers' scripts emptied before and after the test."""
    stack.stability.reset()
    stack.replicate.reset()
    yield stack
    stack.stability.reset()
    stack.replicate.reset()
