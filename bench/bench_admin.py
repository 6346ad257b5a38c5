"""The admin console's page queries at 100,000 users and 1,000,000 generations on PostgreSQL.

Starts a throwaway PostgreSQL (as the tests do), migrates it, loads the volume with COPY
(26 weeks of sign-ups and generations: statuses, providers, failovers, verified and paying
accounts), recounts the analytics tables as a bulk import must, VACUUM ANALYZEs, then times each
page's service call several times and prints p50/p95 per query. The first (cold) call of the
rolled-up pages is printed apart: it rolls the finished days up once.

    .venv/bin/python bench/bench_admin.py [--users 100000] [--generations 1000000] [--runs 9]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.postgres import (  # noqa: E402
    POSTGRES_BIN_DIRS,
    LocalPostgres,
    create_database,
    unique_database_name,
)
from tests.fixtures.processes import find_binary  # noqa: E402

WEEKS = 26
PROVIDERS = {"stability": (0.45, 2400), "replicate": (0.30, 5200), "gemini": (0.20, 3100), "local": (0.05, 300)}
NAMES = ["Ada", "Grace", "Linus", "Marta", "Noor", "Kenji", "Zoe", "Ravi", "Ines", "Tomas", "Aiko", "Femi", "Olga",
         "Pablo", "Sven", "Leila", "Quinn", "Yara", "Hugo", "Mina"]
PROMPTS = ["a lighthouse on a cliff at dusk", "a copper kettle on a stove", "a fox in a snowy forest",
           "neon city street in the rain", "a watercolor map of an island", "portrait of an old sailor",
           "a bowl of ramen, studio light", "an astronaut riding a horse", "a cabin by a frozen lake",
           "macro photo of a dragonfly"]


def _rows_csv(rows: Iterator[list[Any]]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
    buffer.seek(0)
    return buffer


def copy(cursor: Any, table: str, columns: list[str], rows: Iterator[list[Any]], chunk: int = 100_000) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            cursor.copy_expert(sql, _rows_csv(iter(batch)))
            batch = []
    if batch:
        cursor.copy_expert(sql, _rows_csv(iter(batch)))


def iso(moment: datetime) -> str:
    return moment.isoformat()


def seed(engine: Any, *, users: int, generations: int, now: datetime) -> dict[str, float]:
    """Load the volume; returns seconds per step."""
    rng = random.Random(13)
    start = now - timedelta(weeks=WEEKS)
    span = (now - start).total_seconds()
    timings: dict[str, float] = {}
    raw = engine.raw_connection()
    cursor = raw.cursor()
    # Foreign keys are known good here: skip their per-row checks while loading.
    cursor.execute("SET session_replication_role = replica")

    began = time.perf_counter()
    # More sign-ups in later weeks (a growing product).
    signed_up = sorted(start + timedelta(seconds=span * math.sqrt(rng.random())) for _ in range(users))
    user_rows = []
    for n, created in enumerate(signed_up):
        name = f"{rng.choice(NAMES)} {rng.choice(NAMES)}son"
        verified = iso(created + timedelta(minutes=rng.randint(1, 600))) if rng.random() < 0.85 else None
        tier = "PRO" if rng.random() < 0.06 else "ENTERPRISE" if rng.random() < 0.01 else "FREE"
        role = "ADMIN" if n % 20_000 == 0 else "MODERATOR" if n % 9_999 == 0 else "USER"
        status = "SUSPENDED" if rng.random() < 0.01 else "ACTIVE"
        last_login = iso(created + timedelta(seconds=rng.random() * (now - created).total_seconds()))
        user_rows.append([f"usr_{n:026d}", f"{name.split()[0].lower()}.{n}@example.test", name, None, tier, role,
                          status, rng.randint(0, 500), verified, 0, last_login, iso(created), iso(created)])
    copy(cursor, "users", ["id", "email", "name", "password_hash", "tier", "role", "status", "credit_balance",
                           "email_verified_at", "failed_login_count", "last_login_at", "created_at", "updated_at"],
         iter(user_rows))
    timings["users"] = time.perf_counter() - began

    began = time.perf_counter()
    # Heavy-tailed activity: most accounts make a few generations, some make hundreds.
    weights = [rng.paretovariate(1.2) if row[8] else 0.0 for row in user_rows]
    total = sum(weights)
    counts = [int(w / total * generations) for w in weights]
    short = generations - sum(counts)
    for i in rng.sample(range(users), k=users)[:short]:
        counts[i] += 1 if weights[i] else 0
    provider_names = list(PROVIDERS)
    provider_weights = [share for share, _ in PROVIDERS.values()]

    def generation_rows() -> Iterator[list[Any]]:
        serial = 0
        for index, count in enumerate(counts):
            created_user = signed_up[index]
            room = (now - created_user).total_seconds()
            for _ in range(count):
                serial += 1
                # Activity decays after sign-up (an exponential delay); a delay past today falls anywhere
                # between sign-up and now instead.
                delay = rng.expovariate(1 / (21 * 86400))
                created = created_user + timedelta(seconds=delay if delay < room else rng.random() * room)
                age = (now - created).total_seconds()
                roll = rng.random()
                requested = rng.choices(provider_names, provider_weights)[0]
                mean = PROVIDERS[requested][1]
                latency = max(50, int(rng.lognormvariate(math.log(mean), 0.5)))
                attempts = [{"provider": requested, "status": "succeeded", "error_code": None, "latency_ms": latency}]
                used: str | None = requested
                status = "succeeded"
                if age < 120 and roll < 0.5:
                    status, used, attempts = ("queued" if roll < 0.35 else "processing"), None, []
                elif roll < 0.05:  # failover: the first provider failed, another delivered
                    other = rng.choice([p for p in provider_names if p != requested])
                    attempts = [{"provider": requested, "status": "failed", "error_code": "provider_timeout",
                                 "latency_ms": latency * 3},
                                {"provider": other, "status": "succeeded", "error_code": None,
                                 "latency_ms": int(PROVIDERS[other][1] * rng.uniform(0.6, 1.6))}]
                    used = other
                elif roll < 0.11:
                    status, used = "failed", None
                    attempts = [{"provider": requested, "status": "failed", "error_code": "provider_error",
                                 "latency_ms": latency}]
                elif roll < 0.13:
                    status, used, attempts = "canceled", None, []
                elif roll < 0.14:
                    status, used = "expired", None
                ended = status in ("succeeded", "failed", "canceled", "expired")
                took = sum(a["latency_ms"] for a in attempts) + rng.randint(200, 900)
                completed = created + timedelta(milliseconds=took) if ended else None
                if completed is not None and completed > now:
                    completed = now
                charged = 1 if status == "succeeded" else 0
                yield [f"gen_{serial:026d}", user_rows[index][0], rng.choice(PROMPTS), "", 1024, 1024, 30, 7.5, 1,
                       "png", requested, "{}", "web", rng.randint(0, 2**31), status, used, json.dumps(attempts), 0,
                       1, charged, 1 - charged if ended else 0, iso(created), None, iso(completed) if completed else None,
                       took if status == "succeeded" else None, "false", "{}", iso(created),
                       iso(completed or created)]

    # Building the generations table's indexes once afterwards is much cheaper than keeping ten of
    # them up to date through a million inserts.
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'generations' "
                   "AND indexname <> 'pk_generations'")
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    copy(cursor, "generations",
         ["id", "user_id", "prompt", "negative_prompt", "width", "height", "steps", "guidance_scale", "num_variations",
          "output_format", "provider_requested", "settings", "source", "seed_used", "status", "provider_used",
          "attempts", "retry_count", "credits_held", "credits_charged", "credits_refunded", "queued_at", "started_at",
          "completed_at", "processing_time_ms", "is_favorite", "metadata", "created_at", "updated_at"],
         generation_rows())
    timings["generations"] = time.perf_counter() - began
    began = time.perf_counter()
    for _name, definition in indexes:
        cursor.execute(definition)
    timings["generation indexes"] = time.perf_counter() - began

    began = time.perf_counter()
    paying = [row for row in user_rows if row[8] and rng.random() < 0.08]
    copy(cursor, "invoices", ["id", "user_id", "stripe_invoice_id", "amount_due", "amount_paid", "currency", "status",
                              "created_at"],
         ([f"inv_{n:026d}", row[0], f"in_{n}", 1900, 1900, "usd", "paid", row[12]] for n, row in enumerate(paying)))
    copy(cursor, "subscriptions", ["id", "user_id", "stripe_customer_id", "status", "tier", "cancel_at_period_end",
                                   "created_at", "updated_at"],
         ([f"sub_{n:026d}", row[0], f"cus_{n}", "ACTIVE", "PRO", "false", row[12], row[12]]
          for n, row in enumerate(paying)))
    recent = [row for row in user_rows if rng.random() < 0.3]
    copy(cursor, "auth_sessions", ["id", "user_id", "token_hash", "last_used_at", "expires_at", "created_at"],
         ([f"ses_{n:026d}", row[0], f"hash{n}", iso(now - timedelta(hours=rng.randint(0, 24 * 14))),
           iso(now + timedelta(days=30)), row[12]] for n, row in enumerate(recent)))
    cursor.execute("SET session_replication_role = origin")
    raw.commit()
    timings["billing and sessions"] = time.perf_counter() - began

    from sqlmodel import Session

    from services.admin import analytics

    began = time.perf_counter()
    with Session(engine) as session:
        analytics.rebuild(session)
        session.commit()
    timings["analytics recount"] = time.perf_counter() - began
    began = time.perf_counter()
    raw.commit()
    raw.driver_connection.autocommit = True  # VACUUM runs outside a transaction
    raw.driver_connection.cursor().execute("VACUUM ANALYZE")
    raw.driver_connection.autocommit = False
    raw.close()
    timings["vacuum analyze"] = time.perf_counter() - began
    return timings


def measure(engine: Any, fn: Callable[[Any], object], runs: int) -> list[float]:
    from sqlmodel import Session

    samples = []
    for _ in range(runs):
        with Session(engine) as session:
            began = time.perf_counter()
            fn(session)
            session.commit()
            samples.append((time.perf_counter() - began) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--generations", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="leave the server running (to EXPLAIN queries); "
                        "prints how to stop it")
    args = parser.parse_args()

    initdb, pg_ctl = find_binary("initdb", *POSTGRES_BIN_DIRS), find_binary("pg_ctl", *POSTGRES_BIN_DIRS)
    if initdb is None or pg_ctl is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    server = LocalPostgres(initdb, pg_ctl)
    server.start()
    try:
        from dreampixel.core.db import create_db_engine
        from dreampixel.core.migrations import upgrade_head
        from services.admin import analytics, repository, stats

        url = create_database(server.url, unique_database_name("dreampixel_bench"))
        engine = create_db_engine(url, pool_size=2)
        upgrade_head(engine)
        now = datetime.now(UTC)
        began = time.perf_counter()
        timings = seed(engine, users=args.users, generations=args.generations, now=now)
        print(f"seeded {args.users:,} users and {args.generations:,} generations in "
              f"{time.perf_counter() - began:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))

        cold: list[tuple[str, Callable[[Any], object]]] = [
            ("dashboard (rolls up 30 days)", lambda s: stats.dashboard(s)),
            ("analytics providers, 26 weeks (rolls up 181 days)", lambda s: analytics.providers(s, weeks=26)),
        ]
        for name, fn in cold:
            print(f"cold  {name:<52} {measure(engine, fn, 1)[0]:8.1f} ms")

        queries: list[tuple[str, Callable[[Any], object]]] = [
            ("dashboard", lambda s: stats.dashboard(s)),
            ("users: default (newest first)", lambda s: repository.search_users(s)),
            ("users: search 'marta'", lambda s: repository.search_users(s, q="marta")),
            ("users: search by id", lambda s: repository.search_users(s, q="usr_00000000000000000000054321")),
            ("users: tier PRO, unverified, by credits", lambda s: repository.search_users(
                s, tier="PRO", verified="no", sort="credits")),
            ("users: role ADMIN", lambda s: repository.search_users(s, role="ADMIN")),
            ("users: suspended, by last sign-in", lambda s: repository.search_users(s, status="SUSPENDED",
                                                                                    sort="last_login")),
            ("analytics: cohorts, 8 weeks", lambda s: analytics.cohorts(s, weeks=8)),
            ("analytics: cohorts, 26 weeks", lambda s: analytics.cohorts(s, weeks=26)),
            ("analytics: funnel, 8 weeks", lambda s: analytics.funnel(s, weeks=8)),
            ("analytics: funnel, 26 weeks", lambda s: analytics.funnel(s, weeks=26)),
            ("analytics: providers, 4 weeks", lambda s: analytics.providers(s, weeks=4)),
            ("analytics: providers, 26 weeks", lambda s: analytics.providers(s, weeks=26)),
        ]
        print(f"{'query':<58} {'p50 ms':>8} {'p95 ms':>8}   ({args.runs} runs each)")
        for name, fn in queries:
            samples = measure(engine, fn, args.runs)
            print(f"{name:<58} {statistics.median(samples):8.1f} {percentile(samples, 0.95):8.1f}")
        engine.dispose()
        if args.keep:
            print(f"kept: {url}; stop with: pg_ctl -D {server.data} -m immediate stop; rm -r {server.base}")
    finally:
        if not args.keep:
            server.stop()


if __name__ == "__main__":
    main()
