"""Load on a running Dream Pixel: browsers over the event websocket and API clients, for a while.

Simulated browser users (socket.io clients speaking Reflex's event protocol, see
bench/load_protocol.py) each open /generate signed in, set 512x512 and the `local` provider,
then submit a generation, wait until a pushed state delta shows its image, and submit again
(after `--think` seconds), until `--duration` ends. API clients do the same through
`POST /api/v1/generations` and poll `GET /api/v1/generations/{id}` with an API key. The bench
never starts the app: point it at one (`make topology` prints its URL).

Printed: generations/s against the bare work measured in this process (the `local`
provider's render and the image pipeline for one 512 px image, one core); p50/p95/p99
submit-to-image-pushed (browsers) and submit-to-succeeded (API, at the poll interval's
resolution); errors (the first few printed); RSS and CPU seconds per generation of each
process given (`--pids` or `--state-file`); Redis memory per connected browser; bytes stored
per generation (files and database rows).

    # once: accounts with credits, sessions and API keys, written to --accounts
    DATABASE_URL=<the app's> .venv/bin/python bench/bench_load.py --prepare --users 200 --api-clients 20
    # the run
    .venv/bin/python bench/bench_load.py --url http://127.0.0.1:8080 --users 200 --api-clients 20 \\
        --duration 60 [--state-file PATH | --pids app=123,worker=456] [--redis-url URL] [--database-url URL]

`--prepare` talks to the database directly (DATABASE_URL, the target's): it creates verified
enterprise accounts without passwords, a session for each browser user and an API key for
each API client, so the run needs no sign-in form and meets no sign-in rate limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_protocol import BrowserTab, Names, names  # noqa: E402

SIZE = 512
DEFAULT_ACCOUNTS = Path(tempfile.gettempdir()) / "dreampixel-bench-load-accounts.json"
PROMPTS = ["a lighthouse at dusk", "a red fox in fresh snow", "a sunset over the ocean", "a quiet harbor at dawn",
           "mountains above the clouds", "a city street in the rain", "a field of sunflowers", "a forest path in fog"]
FINAL_FAILURES = {"failed", "canceled", "expired"}


# ---- accounts ------------------------------------------------------------------------------

def prepare(users: int, api_clients: int, out: Path) -> None:
    """Create the run's accounts in the target's database (DATABASE_URL) and write them to `out`."""
    from dreampixel.core.db import uow
    from dreampixel.core.models import Tier
    from services.accounts import service as accounts
    from services.accounts import sessions
    from services.api_keys import service as api_keys

    stem = f"load-{int(time.time())}"
    browsers, clients = [], []
    with uow() as session:
        for i in range(users + api_clients):
            user = accounts.create_user(session, email=f"{stem}-{i}@bench.example.com", password=None,
                                        name=f"Load {i}", tier=Tier.ENTERPRISE, credits=1_000_000, verified=True)
            if i < users:
                cookie = sessions.create(session, user_id=user.id, ip="127.0.0.1", user_agent="bench_load")
                browsers.append({"user_id": user.id, "session": cookie})
            else:
                _, key = api_keys.create_key(session, user_id=user.id, name="bench_load")
                clients.append({"user_id": user.id, "api_key": key})
    out.write_text(json.dumps({"stem": stem, "browsers": browsers, "api_clients": clients}, indent=1))
    out.chmod(0o600)
    print(f"{users} browser users and {api_clients} API clients ({stem}-*) written to {out}")


# ---- the bare work ---------------------------------------------------------------------------

def bare_one(seed: int) -> tuple[float, float]:
    """The work without the platform: render with the local provider, run the pipeline.

    Returns (wall seconds, CPU seconds of this process).
    """
    from services.images.pipeline import PipelineSettings, derive
    from services.providers.base import GenerationRequest
    from services.providers.local import LocalProvider

    started, cpu = time.perf_counter(), time.process_time()
    [image] = LocalProvider().render(GenerationRequest(prompt="a sunset over the ocean", seed=seed, width=SIZE,
                                                       height=SIZE))
    derive(image.data, PipelineSettings(max_bytes=20 * 2**20, max_dimension=4096), output_format="png",
           params={"prompt": "a sunset over the ocean", "seed": seed})
    return time.perf_counter() - started, time.process_time() - cpu


def bare_work(count: int = 20) -> tuple[float, float]:
    """The bare work one at a time in this process (one core): (generations/s, CPU seconds each), medians."""
    for seed in range(2):
        bare_one(seed)
    runs = [bare_one(100 + seed) for seed in range(count)]
    return 1 / statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs)


# ---- processes -------------------------------------------------------------------------------

def processes_from(pids: str, state_file: str) -> dict[str, int]:
    """Name -> PID, from `--pids app=1,worker=2` (or bare PIDs) and/or a JSON state file.

    The state file may hold any JSON: every object with a "pid" (named by its "name" key or
    the key it sits under) and every integer under a key ending in "pid" is taken.
    """
    found: dict[str, int] = {}
    for i, part in enumerate(filter(None, (p.strip() for p in pids.split(",")))):
        name, _, pid = part.rpartition("=")
        found[name or f"pid{i}"] = int(pid)

    def walk(node: Any, label: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pid"), int):
                found[str(node.get("name") or label)] = node["pid"]
            for key, value in node.items():
                if key != "pid" and key.endswith("pid") and isinstance(value, int):
                    found[f"{label}.{key}".strip(".")] = value
                elif isinstance(value, dict | list):
                    walk(value, f"{label}.{key}".strip("."))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{label}[{i}]")

    if state_file:
        walk(json.loads(Path(state_file).read_text()), "")
    return found


def cpu_and_rss(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and RSS bytes of a process and its descendants (pools, reloader).

    The CPU of descendants that ended (PostgreSQL's backends, a pool's replaced processes) counts
    through their parent's `children_*` times, so the figure never goes down.
    """
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0
    cpu, rss = 0.0, 0
    for proc in procs:
        try:
            times = proc.cpu_times()
            cpu += times.user + times.system + times.children_user + times.children_system
            rss += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return cpu, rss


# ---- the clients -----------------------------------------------------------------------------

@dataclass
class Results:
    window_start: float = 0.0
    window_end: float = 0.0
    browser: list[tuple[float, float]] = field(default_factory=list)  # (submitted, image pushed)
    api: list[tuple[float, float]] = field(default_factory=list)  # (submitted, seen succeeded)
    errors: list[str] = field(default_factory=list)
    generation_ids: list[str] = field(default_factory=list)
    connected: int = 0
    api_requests: int = 0

    def error(self, who: str, what: object) -> None:
        self.errors.append(f"{who}: {what}")


def _card_done(generation_id: str):
    def check(values: dict[str, Any]) -> Any:
        for card in values.get("cards") or []:
            if card.get("id") == generation_id:
                if card.get("status") == "succeeded" and card.get("images"):
                    return card
                if card.get("status") in FINAL_FAILURES:
                    raise RuntimeError(f"{generation_id} {card['status']}: {card.get('error_message')}")
        return None
    return check


def _new_card(known: set[str]):
    def check(values: dict[str, Any]) -> Any:
        if values.get("error"):
            raise RuntimeError(f"the page says: {values['error']}")
        return next((card["id"] for card in values.get("cards") or [] if card.get("id") not in known), None)
    return check


async def browser_user(i: int, account: dict[str, str], args: argparse.Namespace, protocol: Names,
                       results: Results, connected: asyncio.Semaphore, start: asyncio.Event,
                       tokens: list[str]) -> None:
    import socketio

    who = f"browser {i}"
    tab = BrowserTab(args.urls[i % len(args.urls)], cookie=f"dp_session={account['session']}", names=protocol, path="/generate",
                     origin=args.origin if args.origin != "none" else None)
    tokens.append(tab.token)
    try:
        async with connected:  # the ramp: a bounded number of page loads at a time
            await tab.open()
            await tab.wait_for(lambda v: v.get("ready"), timeout=args.timeout)
            for event, payload in ((protocol.set_size, {"size": "custom"}), (protocol.set_width, {"value": str(SIZE)}),
                                   (protocol.set_height, {"value": str(SIZE)}), (protocol.set_provider, {"value": "local"})):
                await tab.send(event, payload)
            await tab.wait_for(lambda v: v.get("provider") == "local" and v.get("height") == str(SIZE),
                               timeout=args.timeout)
        results.connected += 1
        await start.wait()
        await asyncio.sleep(random.uniform(0, args.think or 0.5))  # no lockstep
        while time.monotonic() < results.window_end:
            known = {card["id"] for card in tab.page.values.get("cards") or []}
            submitted = time.monotonic()
            await tab.send(protocol.submit, {"form": {"prompt": random.choice(PROMPTS), "negative_prompt": ""}})
            generation_id = await tab.wait_for(_new_card(known), timeout=args.timeout)
            results.generation_ids.append(generation_id)
            await tab.wait_for(_card_done(generation_id), timeout=args.timeout)
            results.browser.append((submitted, time.monotonic()))
            if tab.page.backend_errors:
                results.error(who, f"the page showed Reflex's 'An error occurred.' {tab.page.backend_errors} time(s) "
                                   f"around {generation_id} (an exception in a handler: see the app's log)")
                tab.page.backend_errors = 0
            if args.think:
                await asyncio.sleep(random.expovariate(1 / args.think))
    except TimeoutError:
        cards = tab.page.values.get("cards") or [{}]
        results.error(who, f"nothing pushed within {args.timeout:.0f} s (its card last said "
                           f"{cards[0].get('status', 'nothing')!r})")
    except socketio.exceptions.ConnectionError as error:
        results.error(who, f"{error} (the websocket was refused: is --origin one of the app's allowed origins?)")
    except Exception as error:  # every failure is a figure of the run
        results.error(who, f"{type(error).__name__}: {error}")
    finally:
        with contextlib.suppress(Exception):
            await tab.close()


async def api_client(i: int, account: dict[str, str], args: argparse.Namespace, results: Results,
                     start: asyncio.Event) -> None:
    import httpx

    who = f"api client {i}"
    headers = {"x-api-key": account["api_key"]}
    async with httpx.AsyncClient(base_url=args.urls[i % len(args.urls)], headers=headers, timeout=args.timeout) as http:
        await start.wait()
        await asyncio.sleep(random.uniform(0, args.think or 0.5))
        while time.monotonic() < results.window_end:
            try:
                submitted = time.monotonic()
                body = {"prompt": random.choice(PROMPTS), "width": SIZE, "height": SIZE, "provider": "local"}
                answer = await http.post("/api/v1/generations", json=body)
                results.api_requests += 1
                if answer.status_code not in (200, 201, 202):
                    results.error(who, f"POST {answer.status_code} {answer.text[:200]}")
                    await asyncio.sleep(1)
                    continue
                generation_id = answer.json()["id"]
                results.generation_ids.append(generation_id)
                deadline = submitted + args.timeout
                while True:
                    answer = await http.get(f"/api/v1/generations/{generation_id}")
                    results.api_requests += 1
                    status = answer.json().get("status") if answer.status_code == 200 else None
                    if status == "succeeded":
                        results.api.append((submitted, time.monotonic()))
                        break
                    if answer.status_code != 200 or status in FINAL_FAILURES:
                        results.error(who, f"GET {answer.status_code} {status or answer.text[:200]}")
                        break
                    if time.monotonic() > deadline:
                        results.error(who, f"{generation_id} not done within {args.timeout:.0f} s")
                        break
                    await asyncio.sleep(args.poll)
            except (httpx.HTTPError, ValueError, KeyError) as error:
                results.error(who, f"{type(error).__name__}: {error}")
                await asyncio.sleep(1)
            if args.think:
                await asyncio.sleep(random.expovariate(1 / args.think))


# ---- measurements around the run ---------------------------------------------------------------

@dataclass(frozen=True)
class RedisMemory:
    used: int  # INFO used_memory: data, and the buffers of every client connection
    clients: int  # connected clients (the app's pub/sub subscriptions among them)
    state: int  # MEMORY USAGE of the Reflex state keys of this run's pages (`<tab token>_<state>`)
    state_keys: int


def redis_memory(url: str, tokens: list[str]) -> RedisMemory | None:
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url)
    ours = tuple(f"{token}_" for token in tokens)
    state = keys = 0
    for key in client.scan_iter(count=1000):
        if key.decode(errors="replace").startswith(ours):
            state += int(client.memory_usage(key) or 0)
            keys += 1
    info = client.info()
    return RedisMemory(used=int(info["used_memory"]), clients=int(info["connected_clients"]), state=state,
                       state_keys=keys)


def database_size(url: str) -> int | None:
    if not url or not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    finally:
        engine.dispose()


def logged_errors(url: str) -> int | None:
    """Errors the app processes captured (the admin console's error log), repeats included."""
    if not url:
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT coalesce(sum(count), 0) FROM error_logs WHERE level = 'error'"))
                       .scalar_one())
    finally:
        engine.dispose()


def stored_bytes(url: str, generation_ids: list[str]) -> dict[str, float] | None:
    """Per generation: image file bytes and the row bytes of its generation, images and ledger entries."""
    if not url or not generation_ids:
        return None
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(url)
    ids = bindparam("ids", value=list(set(generation_ids)), expanding=True)
    queries = {
        "generations": "SELECT count(*), coalesce(sum(pg_column_size(g.*)), 0) FROM generations g WHERE g.id IN :ids",
        "images": "SELECT count(*), coalesce(sum(pg_column_size(i.*)), 0), coalesce(sum(i.bytes), 0) FROM images i "
                  "WHERE i.generation_id IN :ids OR i.parent_id IN (SELECT id FROM images WHERE generation_id IN :ids)",
        "ledger": "SELECT count(*), coalesce(sum(pg_column_size(c.*)), 0) FROM credit_ledger c WHERE c.reference IN :ids",
    }
    try:
        with engine.connect() as conn:
            rows = {name: conn.execute(text(sql).bindparams(ids)).one() for name, sql in queries.items()}
    finally:
        engine.dispose()
    count = rows["generations"][0] or 1
    return {
        "generations": rows["generations"][0],
        "image rows per generation": rows["images"][0] / count,
        "file bytes": rows["images"][2] / count,
        "generation row bytes": rows["generations"][1] / count,
        "image row bytes": rows["images"][1] / count,
        "ledger rows per generation": rows["ledger"][0] / count,
        "ledger row bytes": rows["ledger"][1] / count,
    }


def percentiles(pairs: list[tuple[float, float]]) -> str:
    if not pairs:
        return "none"
    values = sorted(done - submitted for submitted, done in pairs)

    def at(q: float) -> float:
        return values[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000

    return f"{len(values):>6}{at(0.50):>9.0f}{at(0.95):>9.0f}{at(0.99):>9.0f}"


# ---- the run ---------------------------------------------------------------------------------

async def run(args: argparse.Namespace) -> None:
    accounts = json.loads(Path(args.accounts).read_text())
    browsers, clients = accounts["browsers"], accounts["api_clients"]
    if len(browsers) < args.users or len(clients) < args.api_clients:
        sys.exit(f"{args.accounts} holds {len(browsers)} browser users and {len(clients)} API clients: "
                 f"run --prepare --users {args.users} --api-clients {args.api_clients} first")
    protocol = names()
    tracked = processes_from(args.pids, args.state_file)
    tracked["bench (this process)"] = os.getpid()
    cores = os.cpu_count() or 1

    print(f"target {args.url}: {args.users} browser users, {args.api_clients} API clients, {args.duration:.0f} s, "
          f"think {args.think:g} s, local provider {SIZE}x{SIZE}, {cores} cores")
    load_before = os.getloadavg()
    bare_before, bare_cpu_before = bare_work()

    results = Results()
    start = asyncio.Event()
    tokens: list[str] = []
    redis_idle = redis_memory(args.redis_url, tokens)
    ramp = asyncio.Semaphore(args.ramp)
    connect_started = time.monotonic()
    tasks = [asyncio.create_task(browser_user(i, browsers[i], args, protocol, results, ramp, start, tokens))
             for i in range(args.users)]
    tasks += [asyncio.create_task(api_client(i, clients[i], args, results, start)) for i in range(args.api_clients)]
    while results.connected + len(results.errors) < args.users:
        await asyncio.sleep(0.1)
    connect_seconds = time.monotonic() - connect_started
    redis_connected = redis_memory(args.redis_url, tokens)
    database_before = database_size(args.database_url)
    errors_before = logged_errors(args.database_url)

    # Open pages cost something with nothing happening: the generate page's watcher ticks.
    idle_before = {name: cpu_and_rss(pid)[0] for name, pid in tracked.items()}
    await asyncio.sleep(args.idle)
    idle_cpu = {name: cpu_and_rss(pid)[0] - idle_before[name] for name, pid in tracked.items()}

    before = {name: cpu_and_rss(pid) for name, pid in tracked.items()}
    peak_rss = {name: rss for name, (_, rss) in before.items()}
    results.window_start = time.monotonic()
    results.window_end = results.window_start + args.duration
    start.set()
    while time.monotonic() < results.window_end:
        await asyncio.sleep(min(1.0, max(0.0, results.window_end - time.monotonic())))
        for name, pid in tracked.items():
            peak_rss[name] = max(peak_rss[name], cpu_and_rss(pid)[1])
    after = {name: cpu_and_rss(pid) for name, pid in tracked.items()}
    redis_after = redis_memory(args.redis_url, tokens)  # every page still open, each with its cards
    # In-flight generations finish (they count for latency, not for the window's throughput).
    await asyncio.gather(*tasks)
    database_after = database_size(args.database_url)
    errors_after = logged_errors(args.database_url)
    stored = stored_bytes(args.database_url, results.generation_ids)
    bare_after, bare_cpu_after = bare_work()
    load_after = os.getloadavg()

    def in_window(pairs: list[tuple[float, float]]) -> int:
        return sum(1 for _, done in pairs if done <= results.window_end)

    finished = in_window(results.browser) + in_window(results.api)
    rate = finished / args.duration
    bare = statistics.median([bare_before, bare_after])
    bare_cpu = statistics.median([bare_cpu_before, bare_cpu_after])
    requests = results.api_requests
    print()
    print(f"{'throughput':<52}{'gen/s':>8}{'ratio':>9}")
    print(f"{'bare work, one core (before / after the run)':<52}{bare:>8.2f}{'':>9}   "
          f"({bare_before:.2f} / {bare_after:.2f})")
    print(f"{'bare work x ' + str(cores) + ' cores':<52}{bare * cores:>8.2f}{1.0:>8.2f}x")
    print(f"{'through the platform (finished in the window)':<52}{rate:>8.2f}{rate / (bare * cores):>8.2f}x")
    print(f"  browsers {in_window(results.browser)}, API {in_window(results.api)} in {args.duration:.0f} s "
          f"({requests} API requests); {results.connected} pages connected in {connect_seconds:.1f} s; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print()
    print(f"{'latency (all finished, ms)':<40}{'count':>6}{'p50':>9}{'p95':>9}{'p99':>9}")
    print(f"{'browser: submit -> image pushed':<40}{percentiles(results.browser)}")
    print(f"{'API: submit -> succeeded (poll ' + format(args.poll, 'g') + ' s)':<40}{percentiles(results.api)}")
    print()
    logged = f"; the app logged {errors_after - errors_before} error(s) meanwhile" if (
        errors_before is not None and errors_after is not None) else ""
    print(f"errors: {len(results.errors)}{logged}")
    for line in results.errors[:args.show_errors]:
        print(f"  {line}")
    print()
    print(f"{'process':<40}{'pid':>8}{'RSS MB end':>12}{'peak':>8}{'CPU ms/gen':>12}{'idle ms/page/s':>16}")
    total_cpu = 0.0
    for name, pid in tracked.items():
        cpu = after[name][0] - before[name][0]
        if name != "bench (this process)":
            total_cpu += cpu
        per = f"{cpu / finished * 1000:>12.1f}" if finished else f"{'':>12}"
        idle = idle_cpu[name] / args.idle / max(results.connected, 1) * 1000 if args.idle else 0.0
        print(f"{name:<40}{pid:>8}{after[name][1] / 2**20:>12.0f}{peak_rss[name] / 2**20:>8.0f}{per}{idle:>16.2f}")
    if finished and len(tracked) > 1:
        print(f"{'all processes given (not the bench)':<40}{'':>8}{'':>12}{'':>8}{total_cpu / finished * 1000:>12.1f}")
    print(f"{'bare work (CPU of one, in this process)':<40}{'':>8}{'':>12}{'':>8}{bare_cpu * 1000:>12.1f}")
    if finished and len(tracked) > 1 and total_cpu:
        print(f"CPU efficiency (the bare work's CPU over all given processes' per generation): "
              f"{bare_cpu / (total_cpu / finished):.2f}")
    if redis_idle and redis_connected and redis_after:
        print()
        pages = max(results.connected, 1)
        print(f"{'Redis':<34}{'used_memory MB':>15}{'clients':>9}{'state keys':>11}{'state KB/page':>14}")
        for label, memory in (("before the pages", redis_idle), (f"{results.connected} pages open", redis_connected),
                              ("end of the window", redis_after)):
            print(f"{label:<34}{memory.used / 2**20:>15.1f}{memory.clients:>9}{memory.state_keys:>11}"
                  f"{memory.state / pages / 1024:>14.1f}")
        print(f"  used_memory per open page: {(redis_connected.used - redis_idle.used) / pages / 1024:.1f} KB open, "
              f"{(redis_after.used - redis_idle.used) / pages / 1024:.1f} KB at the end of the window")
    if stored:
        print()
        print(f"stored per generation ({stored['generations']} generations of this run): "
              f"files {stored['file bytes'] / 1024:.1f} KB in {stored['image rows per generation']:.1f} images; rows: "
              f"generation {stored['generation row bytes']:.0f} B, images {stored['image row bytes']:.0f} B, "
              f"{stored['ledger rows per generation']:.1f} ledger rows {stored['ledger row bytes']:.0f} B")
    if database_before is not None and database_after is not None and results.generation_ids:
        grown = database_after - database_before
        print(f"database grew {grown / 2**20:.1f} MB over {len(set(results.generation_ids))} generations "
              f"({grown / len(set(results.generation_ids)) / 1024:.1f} KB each, indexes and all)")


def _defaults_from_topology(args: argparse.Namespace) -> None:
    """`make topology`'s state file names its URL; the app.env beside it, its database and Redis."""
    state = json.loads(Path(args.state_file).read_text())
    args.url = args.url or state.get("url", "")
    env_file = Path(args.state_file).with_name("app.env")
    if env_file.exists():
        env = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                   if "=" in line and not line.startswith("#"))
        for name in ("DATABASE_URL", "REDIS_URL"):
            if name in env and not os.environ.get(name):
                os.environ[name] = env[name]  # --prepare's services read it
        args.database_url = args.database_url or env.get("DATABASE_URL", "")
        args.redis_url = args.redis_url or env.get("REDIS_URL", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--url", help="the app's URL (nginx in front, or one app process); several, comma-separated, "
                                      "share the clients round-robin (app processes without a proxy in front)")
    parser.add_argument("--prepare", action="store_true",
                        help="create the accounts in DATABASE_URL's database and write --accounts")
    parser.add_argument("--accounts", default=str(DEFAULT_ACCOUNTS), help="accounts file (default %(default)s)")
    parser.add_argument("--users", type=int, default=200, help="simulated browser users")
    parser.add_argument("--api-clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load after every page is open")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause between a result and the next submit (0: every client always has one in flight)")
    parser.add_argument("--idle", type=float, default=10.0,
                        help="seconds with every page open and nothing submitted, before the load (CPU of open pages)")
    parser.add_argument("--poll", type=float, default=0.5, help="API clients' poll interval, seconds")
    parser.add_argument("--timeout", type=float, default=300.0, help="longest wait for one generation or page load")
    parser.add_argument("--ramp", type=int, default=20, help="page loads at a time while the browsers connect")
    parser.add_argument("--origin", default="", help="Origin header of the websocket (default: --url; 'none' sends none)")
    parser.add_argument("--pids", default="", help="processes to measure: name=pid,... (or bare pids)")
    parser.add_argument("--state-file", default="", help="a JSON file naming the topology's processes and PIDs")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""), help="for Redis memory per page")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="for bytes per generation")
    parser.add_argument("--show-errors", type=int, default=5)
    args = parser.parse_args()
    if args.state_file:
        _defaults_from_topology(args)
    if args.prepare:
        prepare(args.users, args.api_clients, Path(args.accounts))
        return
    if args.url:
        args.urls = [url.strip().rstrip("/") for url in args.url.split(",") if url.strip()]
        args.origin = args.origin or args.urls[0]
        from dreampixel.core.logging import configure_logging

        configure_logging(level="WARNING")
        asyncio.run(run(args))
    else:
        # `make bench` runs every bench without arguments: this one needs a running app.
        print("bench_load needs a running app: --url URL (and --prepare once before); see --help")


if __name__ == "__main__":
    main()
