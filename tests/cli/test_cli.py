"""`python -m dreampixel`: each command as an operator runs it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.postgres import create_database

ROOT = Path(__file__).resolve().parents[2]

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "ENVIRONMENT": "test", "REDIS_URL": ""}
    if request.param == "postgresql":
        postgres_url = request.getfixturevalue("postgres_url")
        env["DATABASE_URL"] = create_database(postgres_url, f"cli_{uuid.uuid4().hex[:10]}")
    else:
        env["DATABASE_URL"] = ""
    return env


@pytest.fixture
def cli(cli_env: dict[str, str]) -> Cli:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dreampixel", *args],
            cwd=ROOT, env={**cli_env, **(env or {})}, capture_output=True, text=True, timeout=120,
        )

    return run


def db_url(cli_env: dict[str, str]) -> str:
    return cli_env["DATABASE_URL"] or f"sqlite:///{cli_env['DATA_DIR']}/dreampixel.db"


def query(cli_env: dict[str, str], sql: str, **params: object) -> list[tuple]:
    engine = create_engine(db_url(cli_env))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def test_migrate_builds_the_schema_and_is_repeatable(cli: Cli, cli_env: dict[str, str]) -> None:
    first = cli("migrate")
    assert first.returncode == 0, first.stderr
    assert "database migrated from revision none to" in first.stdout
    again = cli("migrate")
    assert again.returncode == 0, again.stderr
    assert "database already at revision" in again.stdout
    assert query(cli_env, "SELECT count(*) FROM users") == [(0,)]


def test_create_user_stores_a_bcrypt_hash_and_starting_credits(cli: Cli, cli_env: dict[str, str]) -> None:
    assert cli("migrate").returncode == 0
    result = cli("create-user", "--email", "Ada@Example.com", "--password", "correct horse battery",
                 "--name", "Ada", "--role", "admin", "--tier", "pro", "--credits", "25", "--verified")
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created | {"id": None} == {"id": None, "email": "ada@example.com", "role": "ADMIN", "tier": "PRO",
                                      "credits": 25, "verified": True}
    [(password_hash, balance, ledger_sum)] = query(
        cli_env,
        "SELECT password_hash, credit_balance, (SELECT sum(delta) FROM credit_ledger WHERE user_id = users.id) "
        "FROM users WHERE email = 'ada@example.com'",
    )
    assert password_hash.startswith("$2b$12$") and "correct horse" not in password_hash
    assert balance == ledger_sum == 25


def test_create_user_twice_fails_with_a_clear_message(cli: Cli) -> None:
    assert cli("migrate").returncode == 0
    assert cli("create-user", "--email", "a@example.com", "--password", "long enough pw").returncode == 0
    again = cli("create-user", "--email", "A@example.com", "--password", "long enough pw")
    assert again.returncode == 1
    assert again.stderr.strip() == "error: An account with that email already exists."


def test_create_user_refuses_a_short_password(cli: Cli) -> None:
    assert cli("migrate").returncode == 0
    result = cli("create-user", "--email", "a@example.com", "--password", "short")
    assert result.returncode == 1
    assert "at least 10 characters" in result.stderr


def test_create_api_key_prints_the_key_once_and_stores_only_its_hash(cli: Cli, cli_env: dict[str, str]) -> None:
    assert cli("migrate").returncode == 0
    assert cli("create-user", "--email", "dev@example.com", "--password", "long enough pw").returncode == 0
    result = cli("create-api-key", "--email", "dev@example.com", "--name", "laptop",
                 "--scopes", "generations:read,generations:write")
    assert result.returncode == 0, result.stderr
    plaintext = result.stdout.strip()
    assert plaintext.startswith("dp_live_") and len(plaintext) > 40
    assert "shown only this once" in result.stderr
    [(prefix, key_hash, name)] = query(cli_env, "SELECT prefix, key_hash, name FROM api_keys")
    assert plaintext.startswith(prefix) and len(prefix) < 16
    assert key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert name == "laptop"


def test_create_api_key_for_an_unknown_email_fails(cli: Cli) -> None:
    assert cli("migrate").returncode == 0
    result = cli("create-api-key", "--email", "nobody@example.com")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no user with email nobody@example.com"


def test_create_api_key_refuses_unknown_scopes(cli: Cli) -> None:
    assert cli("migrate").returncode == 0
    assert cli("create-user", "--email", "dev@example.com", "--password", "long enough pw").returncode == 0
    result = cli("create-api-key", "--email", "dev@example.com", "--scopes", "root:all")
    assert result.returncode == 1
    assert "Unknown scopes: root:all" in result.stderr


def test_seed_demo_creates_accounts_and_approved_seeds_once(cli: Cli, cli_env: dict[str, str]) -> None:
    assert cli("migrate").returncode == 0
    first = cli("seed-demo")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "demo data created"
    assert cli("seed-demo").stdout.strip() == "demo data already present"
    roles = dict(query(cli_env, "SELECT email, role FROM users"))
    assert roles == {"admin@dreampixel.local": "ADMIN", "demo@dreampixel.local": "USER"}
    seeds = query(cli_env, "SELECT moderation_status, example_image_ids FROM seeds")
    assert len(seeds) >= 5 and {status for status, _ in seeds} == {"APPROVED"}
    [(stored,)] = query(cli_env, "SELECT count(*) FROM images WHERE type = 'FULL'")
    assert stored == len(seeds)
    storage = Path(cli_env["DATA_DIR"]) / "storage"
    assert len(list(storage.rglob("*.png"))) == len(seeds), "each example image is a real stored file"


def test_reap_runs_and_reports_counts(cli: Cli) -> None:
    assert cli("migrate").returncode == 0
    result = cli("reap")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"requeued": 0, "failed": 0, "expired": 0, "redispatched": 0}


def test_worker_without_redis_explains_itself(cli: Cli) -> None:
    result = cli("worker", "--burst")
    assert result.returncode == 1
    assert "REDIS_URL is not set" in result.stderr


def test_a_database_that_is_not_there_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("create-user", "--email", "a@example.com", "--password", "long enough pw",
                 env={"DATABASE_URL": f"sqlite:///{tmp_path}/nowhere/never/x.db"})
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_delete_demo_accounts_removes_them_and_nobody_else(cli: Cli, cli_env: dict[str, str]) -> None:
    assert cli("migrate").returncode == 0
    for email in ("admin@dreampixel.local", "demo@dreampixel.local", "keep@example.com"):
        assert cli("create-user", "--email", email, "--password", "a long passphrase").returncode == 0

    deleted = cli("delete-demo-accounts")

    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == "deleted admin@dreampixel.local, demo@dreampixel.local"
    assert query(cli_env, "SELECT email FROM users") == [("keep@example.com",)]


# ---- the admin commands ------------------------------------------------------------------------

ADMIN_TEST_PASSWORD = "correct horse battery"


def arrange_staff(cli: Cli) -> None:
    assert cli("migrate").returncode == 0
    for email, role in (("boss@example.com", "ADMIN"), ("mod@example.com", "MODERATOR"), ("ann@example.com", "USER")):
        assert cli("create-user", "--email", email, "--password", ADMIN_TEST_PASSWORD, "--role", role).returncode == 0


def test_stats_prints_the_dashboard(cli: Cli) -> None:
    arrange_staff(cli)
    result = cli("stats")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["users_total"] == 3
