"""Attacks on credits, keys and the operator's defaults, tried the way an outsider would.

Each test speaks HTTP to the API (the `api` fixture: the real app in-process, on PostgreSQL
unless said otherwise), drives the generate page's edge, or starts the real commands as a
subprocess, and checks what the attacker or the operator would observe.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from dreampixel.core.db import uow
from dreampixel.core.errors import RateLimited
from dreampixel.core.models import ModerationStatus, Tier
from dreampixel.core.settings import settings
from services.api_keys import service as api_keys
from services.credits import service as credits
from services.images import repository as image_rows
from services.providers import registry
from services.providers.breaker import reset_all
from states.edge import generation as edge
from states.edge.accounts import Viewer
from tests.factories import create_seed, create_user
from tests.fakes.providers import FakeReplicate, FakeStability
from tests.fakes.scripted import ScriptedProvider

ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRETS = {"SESSION_SECRET": secrets.token_urlsafe(48), "JWT_SECRET": secrets.token_urlsafe(48)}


@dataclass
class Attacker:
    http: httpx.AsyncClient
    key: str
    user_id: str

    async def submit(self, **body: Any) -> httpx.Response:
        return await self.http.post("/api/v1/generations", headers={"x-api-key": self.key},
                                    json={"prompt": "a red kite over the dunes", "width": 256, "height": 256, **body})

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path, headers={"x-api-key": self.key})


def key_holder(*, balance: int = 100, daily_credit_cap: int | None = None,
               scopes: tuple[str, ...] = api_keys.DEFAULT_SCOPES) -> tuple[str, str]:
    """A PRO user with `balance` credits and one key; returns (plaintext key, user id)."""
    with uow() as session:
        owner = create_user(session, tier=Tier.PRO)
        credits.grant(session, user_id=owner.id, amount=balance, reference="signup")
        _key, plaintext = api_keys.create_key(session, user_id=owner.id, name="leaked", scopes=scopes,
                                              daily_credit_cap=daily_credit_cap)
        return plaintext, owner.id


async def attacker(api: httpx.AsyncClient, **options: Any) -> Attacker:
    key, user_id = await asyncio.to_thread(key_holder, **options)
    return Attacker(api, key, user_id)


# --- 2. an API key's daily credit cap ---------------------------------------------------------


async def test_a_key_cannot_spend_past_its_daily_credit_cap(api: httpx.AsyncClient) -> None:
    leaked = await attacker(api, daily_credit_cap=3)

    accepted = [await leaked.submit() for _ in range(3)]
    refused = await leaked.submit()

    assert [r.status_code for r in accepted] == [202, 202, 202]
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "api_key_daily_cap_reached"
    assert int(refused.headers["retry-after"]) > 0
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]
    account = (await leaked.get("/api/v1/account")).json()
    assert account["credit_balance"] == 97, "the refused request held nothing"


async def test_fifty_parallel_submits_with_one_key_accept_exactly_its_cap(api: httpx.AsyncClient) -> None:
    leaked = await attacker(api, daily_credit_cap=7)

    responses = await asyncio.gather(*(leaked.submit(prompt=f"a kite, take {n}") for n in range(50)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(202) == 7, statuses
    assert statuses.count(429) == 43, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 429} == {"api_key_daily_cap_reached"}
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]
    listed = (await leaked.get("/api/v1/generations?limit=100")).json()["data"]
    assert len(listed) == 7


# --- 12. a cancel while the provider works ----------------------------------------------------


async def test_canceling_a_processing_generation_still_costs_its_credits(
    api: httpx.AsyncClient, scripted: dict[str, ScriptedProvider]
) -> None:
    scripted["alpha"].gate = asyncio.Event()
    scripted["alpha"].will(("wait",))
    leaked = await attacker(api, balance=5)
    created = (await leaked.submit()).json()
    for _ in range(250):
        if scripted["alpha"].calls:
            break
        await asyncio.sleep(0.02)
    assert (await leaked.get(f"/api/v1/generations/{created['id']}")).json()["status"] == "processing"

    canceled = await api.post(f"/api/v1/generations/{created['id']}/cancel", headers={"x-api-key": leaked.key})
    scripted["alpha"].gate.set()
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]

    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert canceled.json()["cost"] == {"credits_held": 1, "credits_charged": 1, "credits_refunded": 0}
    assert "cost 1 credit" in canceled.json()["error"]["message"]
    assert (await leaked.get("/api/v1/account")).json()["credit_balance"] == 4
    final = (await leaked.get(f"/api/v1/generations/{created['id']}")).json()
    assert final["status"] == "canceled" and final["outputs"] == []


# --- 12. web submits are rate limited like API ones -------------------------------------------


async def test_web_submits_count_against_the_same_generation_limit_as_the_api(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "api_rate_limit_pro", 30)  # three new generations per window
    leaked = await attacker(api)
    viewer = Viewer(user_id=leaked.user_id, session_id="ses_web", name="Eve", email="eve@example.test",
                    role="USER", verified=True)
    form = edge.FormInput(prompt="a paper lantern", width=256, height=256)

    for _ in range(3):
        await asyncio.to_thread(edge.submit, viewer, form)
    with pytest.raises(RateLimited):
        await asyncio.to_thread(edge.submit, viewer, form)
    through_the_api = await leaked.submit()

    assert through_the_api.status_code == 429 and through_the_api.json()["code"] == "rate_limited"
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]


# --- 12. seed_id ------------------------------------------------------------------------------


async def test_an_unknown_seed_id_is_a_404_not_a_server_error(api: httpx.AsyncClient) -> None:
    leaked = await attacker(api)

    response = await leaked.submit(seed_id="sed_doesnotexist")

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    assert (await leaked.get("/api/v1/account")).json()["credit_balance"] == 100


async def test_another_users_unapproved_seed_cannot_be_named(api: httpx.AsyncClient) -> None:
    leaked = await attacker(api)

    def pending_seed() -> str:
        with uow() as session:
            creator = create_user(session)
            return create_seed(session, creator, moderation_status=ModerationStatus.PENDING).id

    response = await leaked.submit(seed_id=await asyncio.to_thread(pending_seed))

    assert response.status_code == 404, response.text
    assert (await leaked.get("/api/v1/generations")).json()["data"] == []


# --- 12. reference_image_url needs uploads:write ---------------------------------------------


async def test_a_key_without_uploads_write_cannot_upload_through_reference_image_url(api: httpx.AsyncClient) -> None:
    leaked = await attacker(api, scopes=("generations:write", "generations:read", "account:read"))

    # .invalid never resolves: the request must be refused before anything is fetched.
    response = await leaked.submit(reference_image_url="https://images.example.invalid/cat.png")

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"

    def uploads() -> int:
        with uow() as session:
            return len(image_rows.of_user(session, leaked.user_id))

    assert await asyncio.to_thread(uploads) == 0


# --- 12. what anyone may read about the providers --------------------------------------------


@pytest.fixture
def real_providers(stability_fake: FakeStability, replicate_fake: FakeReplicate,
                   monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(settings, "stability_api_key", SecretStr(stability_fake.api_key))
    monkeypatch.setattr(settings, "stability_base_url", stability_fake.base_url)
    monkeypatch.setattr(settings, "replicate_api_token", SecretStr(replicate_fake.api_key))
    monkeypatch.setattr(settings, "replicate_base_url", replicate_fake.base_url)
    monkeypatch.setattr(stability_fake, "credits", 1234.5)
    registry.reset()
    reset_all()
    yield
    registry.reset()
    reset_all()


@pytest.mark.parametrize("path", ["/api/v1/providers", "/api/v1/health/providers", "/api/health"])
async def test_unauthenticated_callers_learn_nothing_of_the_provider_accounts(
    api: httpx.AsyncClient, real_providers: None, path: str
) -> None:
    response = await api.get(path)

    assert response.status_code in (200, 503)
    assert "stability" in response.text and "replicate" in response.text
    assert "1234" not in response.text, "Stability's credit balance"
    assert "dreampixel-tests" not in response.text, "the Replicate account's username"


# --- 3. no known admin in production ----------------------------------------------------------


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """A SQLite installation in `tmp_path`, as production would run it (strong secrets)."""
    return {**os.environ, **STRONG_SECRETS, "ENVIRONMENT": "production", "DATA_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dreampixel.db'}", "REDIS_URL": "", "S3_BUCKET_IMAGES": "",
            "SMTP_HOST": "", "RESEND_API_KEY": ""}


@pytest.fixture
def demo_admin_present(production_env: dict[str, str]) -> dict[str, str]:
    """`production_env` whose database holds the demo admin (made as `make run` makes it)."""
    development = {**production_env, "ENVIRONMENT": "development"}
    assert run(["-m", "dreampixel", "migrate"], development).returncode == 0
    made = run(["-m", "dreampixel", "create-user", "--email", "admin@dreampixel.local", "--password",
                "dreampixel-admin", "--role", "admin", "--verified"], development)
    assert made.returncode == 0, made.stderr
    return production_env


def test_production_refuses_to_start_while_a_demo_account_exists(demo_admin_present: dict[str, str]) -> None:
    # A timeout here means the server went on to start.
    started = run(["-m", "dreampixel.serve", "--port", "9"], demo_admin_present, timeout=60)

    assert started.returncode != 0
    assert "refusing to start in production" in started.stderr
    assert "admin@dreampixel.local" in started.stderr
    checked = run(["-m", "dreampixel", "check"], demo_admin_present)
    assert checked.returncode != 0 and "admin@dreampixel.local" in checked.stderr


def test_a_bare_reflex_run_refuses_too_while_a_demo_account_exists(demo_admin_present: dict[str, str]) -> None:
    # What `reflex run` enters before serving: the app's lifespan.
    script = ("import asyncio\nfrom dreampixel.runtime import jobs_lifespan\n"
              "async def main():\n    async with jobs_lifespan():\n        print('serving')\n"
              "asyncio.run(main())\n")

    entered = run(["-c", script], demo_admin_present, timeout=60)

    assert entered.returncode != 0 and "serving" not in entered.stdout
    assert "refusing to start in production" in entered.stderr and "admin@dreampixel.local" in entered.stderr


def test_the_worker_refuses_to_start_while_a_demo_account_exists(demo_admin_present: dict[str, str]) -> None:
    real_engines = {"REDIS_URL": "redis://127.0.0.1:1/0", "S3_BUCKET_IMAGES": "images",
                    "SMTP_HOST": "smtp.example.test"}

    started = run(["-m", "dreampixel", "worker", "--burst"], {**demo_admin_present, **real_engines}, timeout=60)

    assert started.returncode != 0
    assert "refusing to start in production" in started.stderr and "admin@dreampixel.local" in started.stderr


def test_seed_demo_refuses_to_create_the_demo_accounts_in_production(production_env: dict[str, str]) -> None:
    assert run(["-m", "dreampixel", "migrate"], production_env).returncode == 0

    seeded = run(["-m", "dreampixel", "seed-demo"], production_env)

    assert seeded.returncode != 0 and "production" in seeded.stderr
    listed = run(["-c", "from dreampixel.core.db import uow\nfrom services.health import readiness\n"
                        "with uow() as s: print(readiness.demo_accounts(s))"], production_env)
    assert listed.stdout.strip() == "[]", listed.stderr


@pytest.mark.parametrize(("engine", "missing"), [
    ({"DATABASE_URL": "postgresql://dp:dp@127.0.0.1:1/dreampixel", "SMTP_HOST": "smtp.example.test"},
     "S3_BUCKET_IMAGES"),
    ({"REDIS_URL": "redis://127.0.0.1:1/0", "S3_BUCKET_IMAGES": "images"}, "SMTP_HOST or RESEND_API_KEY"),
])
def test_production_refuses_development_storage_or_mail_beside_a_real_engine(
    production_env: dict[str, str], engine: dict[str, str], missing: str
) -> None:
    started = run(["-m", "dreampixel.serve", "--port", "9"], {**production_env, **engine}, timeout=60)

    assert started.returncode != 0
    assert missing in started.stderr
