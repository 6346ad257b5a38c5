"""A real worker process: its heartbeat makes `worker-health` pass, its metrics are served on their
own address, its cleanup cron runs, and once it is gone `worker-health` fails."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.database import migrated_engine
from tests.fixtures.postgres import create_database, drop_database
from tests.fixtures.processes import free_port, running_process, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ops_env(postgres_server: str, redis_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    url = create_database(postgres_server, f"workers_{uuid.uuid4().hex[:10]}")
    migrated_engine(url).dispose()
    yield {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "ENVIRONMENT": "test",
           "DATA_DIR": str(tmp_path / "data"), "WORKER_NAME": "worker-under-test"}
    drop_database(url)


def worker_health(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dreampixel", "worker-health", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def expired_idempotency_records(url: str, *, add: bool = False) -> int:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if add:
                connection.execute(text(
                    "INSERT INTO idempotency_records (id, owner, key, method, path, request_hash, state, created_at, "
                    "expires_at) VALUES ('idm_expired', 'usr_x', 'k', 'POST', '/api/v1/generations', :hash, "
                    "'in_progress', now(), now() - interval '1 hour')"), {"hash": "0" * 64})
            return int(connection.execute(text("SELECT count(*) FROM idempotency_records")).scalar_one())
    finally:
        engine.dispose()


def test_worker_health_follows_a_real_worker_and_its_metrics_are_served_apart(ops_env: dict[str, str],
                                                                              tmp_path: Path) -> None:
    assert worker_health(ops_env).returncode == 1, "no worker has reported yet"
    assert expired_idempotency_records(ops_env["DATABASE_URL"], add=True) == 1
    metrics_port = free_port()
    env = {**ops_env, "WORKER_METRICS_BIND": f"127.0.0.1:{metrics_port}"}

    def reported() -> bool:
        return worker_health(env).returncode == 0

    with running_process([sys.executable, "-m", "dreampixel", "worker"], ready=reported, what="the worker",
                         timeout=60, env=env, cwd=ROOT, log_path=tmp_path / "worker.log"):
        healthy = worker_health(env, "--this-host")
        assert healthy.returncode == 0 and "alive worker-under-test (arq)" in healthy.stdout
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert "dreampixel_queue_depth 0.0" in scraped
        assert "dreampixel_job_duration_seconds_count" in scraped, "the start-up cron jobs were timed"
        assert "process_resident_memory_bytes" in scraped
        wait_until(lambda: expired_idempotency_records(env["DATABASE_URL"]) == 0, timeout=30,
                   what="the cleanup cron to delete the expired record")
    time.sleep(1.5)
    gone = worker_health(env, "--max-age", "1")
    assert gone.returncode == 1 and "stale worker-under-test" in gone.stdout
    assert "no worker has reported within 1 s" in gone.stderr


def test_worker_health_this_host_ignores_workers_elsewhere(ops_env: dict[str, str]) -> None:
    engine = create_engine(ops_env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO worker_heartbeats (name, kind, host, pid, started_at, seen_at, jobs_done, "
                                "jobs_failed) VALUES ('far', 'arq', 'another-host', 1, now(), now(), 3, 0)"))
    engine.dispose()
    assert worker_health(ops_env).returncode == 0
    assert worker_health(ops_env, "--this-host").returncode == 1
