"""Stripe webhooks on PostgreSQL: intake latency, and events handled per second by one worker.

1. Intake: `POST /api/stripe/webhooks` (verify the signature, insert the raw event once, answer
   200) for 1,000 signed events from 250 checkouts, one request at a time through the ASGI app;
   p50 and p99 in ms. Goal: p99 under 50 ms. The handling job is stubbed here so only intake
   is measured.
2. Handling: the same 1,000 stored events run through `billing.handle_event` (each re-reads its
   object from the fake Stripe API, mirrors the subscription, the invoice, the grant), at the
   concurrency of one worker process (`--concurrency`, default 8); events/s.

    .venv/bin/python bench/bench_stripe_webhooks.py [--checkouts 250] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.update({"ENVIRONMENT": "test", "LOG_LEVEL": "WARNING", "DATA_DIR": tempfile.mkdtemp(prefix="dp-bench-"),
                   "REDIS_URL": "", "S3_BUCKET_IMAGES": "", "SMTP_HOST": ""})

from tests.fixtures.postgres import (  # noqa: E402
    POSTGRES_BIN_DIRS,
    LocalPostgres,
    create_database,
    unique_database_name,
)
from tests.fixtures.processes import find_binary  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(database_url: str, checkouts: int, concurrency: int) -> None:
    import httpx
    from pydantic import SecretStr
    from sqlmodel import select

    from dreampixel.api.app import create_api
    from dreampixel.core import db
    from dreampixel.core.db import create_db_engine, uow
    from dreampixel.core.migrations import upgrade_head
    from dreampixel.core.models import StripeEvent
    from dreampixel.core.settings import settings
    from services.billing import stripe as stripe_adapter
    from services.billing import subscriptions
    from services.jobs import service as jobs
    from services.jobs.queue import InProcessQueue
    from tests.factories import create_user
    from tests.fakes import stripe as fake_stripe
    from workers import billing as billing_jobs

    engine = create_db_engine(database_url, pool_size=concurrency + 4)
    upgrade_head(engine)
    db.bind(engine)
    fake = fake_stripe.FakeStripe()
    with fake.serve():
        settings.stripe_secret_key = SecretStr(fake_stripe.STRIPE_KEY)
        settings.stripe_webhook_secret = SecretStr(fake_stripe.WEBHOOK_SECRET)
        settings.stripe_api_base = fake.origin
        settings.stripe_price_pro_monthly = fake_stripe.PRICE_PRO_MONTHLY
        stripe_adapter.reset_client()

        events: list[dict[str, Any]] = []
        for _ in range(checkouts):
            with uow() as session:
                user = create_user(session)
                url = subscriptions.start_checkout(session, user_id=user.id, price_id=fake_stripe.PRICE_PRO_MONTHLY,
                                                   success_url="http://bench/ok", cancel_url="http://bench/no")
            events += fake.complete_checkout(url.rsplit("/", 1)[-1])

        async def stub(ctx: dict[str, Any], event_row_id: str) -> None:
            return None

        jobs.install(InProcessQueue({"billing.handle_event": stub}, loop=asyncio.get_running_loop()))
        latencies = []
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for event in events[:20]:  # warm-up: connections, first imports
                body, headers = fake.signed(event)
                await http.post("/api/stripe/webhooks", content=body, headers=headers)
            for event in events:
                body, headers = fake.signed(event)
                started = time.perf_counter()
                response = await http.post("/api/stripe/webhooks", content=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
        jobs.uninstall()
        print(f"intake: {len(latencies)} events, p50 {statistics.median(latencies):.1f} ms, "
              f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")

        with uow() as session:
            ids = list(session.exec(select(StripeEvent.id).order_by(StripeEvent.received_at)).all())
        gate = asyncio.Semaphore(concurrency)

        async def handle(row_id: str) -> str:
            async with gate:
                return await billing_jobs.handle_event({"job_try": 1}, row_id)

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(handle(row_id) for row_id in ids))
        elapsed = time.perf_counter() - started
        handled = sum(1 for outcome in outcomes if outcome == "handled")
        print(f"handling: {handled}/{len(ids)} events in {elapsed:.1f} s, {handled / elapsed:.0f} events/s "
              f"(one worker, concurrency {concurrency}; each event re-reads Stripe over loopback HTTP)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=250, help="checkouts; each sends four events")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    initdb, pg_ctl = find_binary("initdb", *POSTGRES_BIN_DIRS), find_binary("pg_ctl", *POSTGRES_BIN_DIRS)
    if initdb is None or pg_ctl is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    server = LocalPostgres(initdb, pg_ctl)
    server.start()
    try:
        url = create_database(server.url, unique_database_name("dreampixel_bench"))
        asyncio.run(run(url, args.checkouts, args.concurrency))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
