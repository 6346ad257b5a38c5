"""End-to-end generations through PostgreSQL, Redis and arq workers, against the bare work.

Two figures, each beside its baseline measured in the same run:

1. Throughput: generations/s with the `local` provider at 512x512, submitted through the
   service layer, run by `python -m dreampixel worker` processes, against the bare provider +
   pipeline throughput with the same parallelism. Goal: at least 0.8x.
2. Latency: submit-to-succeeded (as a watcher on the user's event channel sees it), p50 and
   p99 at concurrency 1 and 20, beside the provider + pipeline time alone. Goal: p50 overhead
   under 50 ms.

Also printed: what asking for webhook subscribers costs on each status change (the owner's
endpoints and the generation's own `webhook`, two queries; nobody subscribed, the common
case), per change and per generation (queued, started, succeeded), beside the platform's
CPU per generation.

    .venv/bin/python bench/bench_generations.py [--count 120] [--workers 1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.postgres import POSTGRES_BIN_DIRS, LocalPostgres  # noqa: E402
from tests.fixtures.processes import find_binary, free_port, running_process, wait_until  # noqa: E402

SIZE = 512


def bare_one(seed: int) -> float:
    """The work without the platform: render with the local provider, run the pipeline."""
    from services.images.pipeline import PipelineSettings, derive
    from services.providers.base import GenerationRequest
    from services.providers.local import LocalProvider

    started = time.perf_counter()
    [image] = LocalProvider().render(GenerationRequest(prompt="a sunset over the ocean", seed=seed, width=SIZE,
                                                       height=SIZE))
    derive(image.data, PipelineSettings(max_bytes=20 * 2**20, max_dimension=4096), output_format="png",
           params={"prompt": "a sunset over the ocean", "seed": seed})
    return time.perf_counter() - started


def cpu_seconds(pid: int, part: str = "tree") -> float:
    """User + system CPU of a process ("self"), its live descendants ("children") or both ("tree")."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = {"self": [root], "children": root.children(recursive=True),
                 "tree": [root, *root.children(recursive=True)]}[part]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Platform:
    """The service layer of this process, pointed at the bench's database and Redis."""

    def __init__(self) -> None:
        from dreampixel.core.db import uow
        from dreampixel.core.models import GenerationCreate, Tier, User
        from services.accounts import service as accounts
        from services.events import service as events
        from services.generation import service as generations
        from services.jobs import service as jobs
        from services.jobs.queue import ArqQueue

        self.uow, self.GenerationCreate, self.User = uow, GenerationCreate, User
        self.events, self.jobs, self.generations = events, jobs, generations
        self.ArqQueue = ArqQueue
        with uow() as session:
            user = accounts.create_user(session, email="bench@example.com", password="bench password 1",
                                        tier=Tier.ENTERPRISE, credits=1_000_000, verified=True)
            self.user_id = user.id

    def webhook_check_seconds(self, calls: int = 2000) -> float:
        """Seconds per `emit_generation` call for a finished generation nobody subscribed to."""
        from sqlmodel import select

        from dreampixel.core.models import Generation
        from services.webhooks import service as webhooks

        with self.uow() as session:
            generation = session.exec(select(Generation).where(Generation.user_id == self.user_id)).first()
            assert generation is not None
            for _ in range(50):  # warm the statement caches
                webhooks.emit_generation(session, generation, "succeeded")
            started = time.perf_counter()
            for _ in range(calls):
                webhooks.emit_generation(session, generation, "succeeded")
            return (time.perf_counter() - started) / calls

    def submit(self, seed: int) -> str:
        with self.uow() as session:
            user = session.get(self.User, self.user_id)
            request = self.GenerationCreate(prompt="a sunset over the ocean", width=SIZE, height=SIZE,
                                            seed_requested=seed)
            return self.generations.submit(session, user=user, request=request).id


async def run_end_to_end(platform: Platform, seeds: list[int], concurrency: int) -> tuple[float, list[float]]:
    """Submit `seeds` with `concurrency` in flight; returns (wall seconds, per-generation latencies)."""
    done: dict[str, asyncio.Future[float]] = {}
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    def finished_future(generation_id: str) -> asyncio.Future[float]:
        # The event can arrive before submit() has returned the id: whoever comes first makes it.
        return done.setdefault(generation_id, loop.create_future())

    async with platform.events.subscribe(platform.user_id) as stream:
        async def listen() -> None:
            async for event in stream:
                if event.get("status") == "succeeded":
                    future = finished_future(event["generation_id"])
                    if not future.done():
                        future.set_result(time.perf_counter())

        listener = asyncio.create_task(listen())
        slots = asyncio.Semaphore(concurrency)

        async def one(seed: int) -> None:
            async with slots:
                started = time.perf_counter()
                generation_id = await asyncio.to_thread(platform.submit, seed)
                finished = await asyncio.wait_for(finished_future(generation_id), 120)
                latencies.append(finished - started)

        wall_start = time.perf_counter()
        await asyncio.gather(*(one(seed) for seed in seeds))
        wall = time.perf_counter() - wall_start
        listener.cancel()
    return wall, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=120, help="generations per throughput round")
    parser.add_argument("--workers", type=int, default=1, help="arq worker processes")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    initdb, pg_ctl = find_binary("initdb", *POSTGRES_BIN_DIRS), find_binary("pg_ctl", *POSTGRES_BIN_DIRS)
    redis_server = find_binary("redis-server")
    if not (initdb and pg_ctl and redis_server):
        print("needs PostgreSQL and redis-server (make test installs them)")
        return
    postgres = LocalPostgres(initdb, pg_ctl)
    postgres.start()
    data_dir = Path(tempfile.mkdtemp(prefix="dreampixel-bench-"))
    redis_port = free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {"DATABASE_URL": postgres.url, "REDIS_URL": redis_url, "DATA_DIR": str(data_dir),
           "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING", "GENERATION_LIMIT_ENTERPRISE": "1000000"}
    os.environ.update(env)
    try:
        with running_process([redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
                             ready=lambda: _redis_ready(redis_url), what="redis") as redis:
            subprocess.run([sys.executable, "-m", "dreampixel", "migrate"], cwd=ROOT, check=True,
                           capture_output=True, env={**os.environ})
            _bench(args, env, {"postgres": postmaster_pid(postgres.data), "redis": redis.pid})
    finally:
        postgres.stop()


def _redis_ready(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.RedisError:
        return False


def _bench(args: argparse.Namespace, env: dict[str, str], servers: dict[str, int]) -> None:
    from dreampixel.core.logging import configure_logging

    configure_logging(level="WARNING")
    # The bare baseline first, with the parallelism the platform gets: two processes.
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(bare_one, range(4)))  # warm up imports
        bare_rates, bare_single = [], []
        for r in range(args.rounds):
            started = time.perf_counter()
            list(pool.map(bare_one, range(r * 1000, r * 1000 + args.count)))
            bare_rates.append(args.count / (time.perf_counter() - started))
        bare_single = [bare_one(9000 + i) for i in range(20)]

    platform = Platform()
    workers = [subprocess.Popen([sys.executable, "-m", "dreampixel", "worker"], cwd=ROOT,
                                env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=open(Path(env["DATA_DIR"]) / "worker.log", "ab"),  # noqa: SIM115
                                start_new_session=True) for _ in range(args.workers)]
    try:
        import redis

        client = redis.Redis.from_url(env["REDIS_URL"])
        wait_until(lambda: bool(client.exists("arq:queue:health-check")), timeout=60, what="arq workers")

        async def measure() -> dict[str, object]:
            # Jobs leave this process for Redis the way they leave the app: after each commit.
            platform.jobs.install(await platform.ArqQueue.connect(env["REDIS_URL"]))
            await run_end_to_end(platform, list(range(5)), 2)  # warm the workers' pools
            rates = []
            tracked = {
                "arq worker process(es)": [(w.pid, "self") for w in workers],
                "their pipeline pools": [(w.pid, "children") for w in workers],
                **{name: [(pid, "tree")] for name, pid in servers.items()},
                "submitter and watcher (this process)": [(os.getpid(), "self")],
            }

            def measure_cpu() -> dict[str, float]:
                return {name: sum(cpu_seconds(pid, part) for pid, part in parts) for name, parts in tracked.items()}

            cpu_before = measure_cpu()
            for r in range(args.rounds):
                wall, _ = await run_end_to_end(platform, list(range(10_000 + r * 1000, 10_000 + r * 1000 + args.count)),
                                               args.count)
                rates.append(args.count / wall)
            cpu_after = measure_cpu()
            cpu = {name: (cpu_after[name] - cpu_before[name]) / (args.count * args.rounds) for name in tracked}
            _, serial = await run_end_to_end(platform, list(range(50_000, 50_040)), 1)
            _, burst = await run_end_to_end(platform, list(range(60_000, 60_000 + 20 * args.rounds)), 20)
            check = await asyncio.to_thread(platform.webhook_check_seconds)
            return {"rates": rates, "serial": serial, "burst": burst, "cpu": cpu, "webhook_check": check}

        results = asyncio.run(measure())
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)

    rate = statistics.median(results["rates"])  # type: ignore[arg-type]
    bare_rate = statistics.median(bare_rates)
    bare_p50 = statistics.median(bare_single)
    cpu: dict[str, float] = results["cpu"]  # type: ignore[assignment]
    serial: list[float] = results["serial"]  # type: ignore[assignment]
    burst: list[float] = results["burst"]  # type: ignore[assignment]
    print(f"end to end, local provider {SIZE}x{SIZE}, PostgreSQL + Redis + {args.workers} arq worker(s), "
          f"{os.cpu_count()} cores, {args.rounds} rounds of {args.count}")
    print(f"{'throughput':<44}{'gen/s':>8}{'ratio':>9}")
    print(f"{'bare provider + pipeline, 2 processes':<44}{bare_rate:>8.2f}{1.0:>8.2f}x")
    print(f"{'through the platform':<44}{rate:>8.2f}{rate / bare_rate:>8.2f}x")
    print(f"{'CPU per generation, throughput rounds':<44}{'ms':>8}")
    print(f"{'bare provider + pipeline (one at a time)':<44}{bare_p50 * 1000:>8.1f}")
    for name, seconds in cpu.items():
        print(f"{name:<44}{seconds * 1000:>8.1f}")
    check: float = results["webhook_check"]  # type: ignore[assignment]
    platform_cpu = sum(cpu.values())
    print(f"{'webhook subscriber check, per status change':<44}{check * 1000:>8.2f}")
    print(f"{'  per generation (3 changes)':<44}{3 * check * 1000:>8.2f}"
          f"   {3 * check / platform_cpu * 100 if platform_cpu else 0:.1f} % of the platform's CPU per generation")
    print()
    print(f"{'latency, submit to succeeded':<44}{'p50 ms':>8}{'p99 ms':>9}{'p50 overhead':>14}")
    print(f"{'provider + pipeline alone (one at a time)':<44}{bare_p50 * 1000:>8.0f}"
          f"{percentile(bare_single, 0.99) * 1000:>9.0f}{'':>14}")
    for label, values in (("concurrency 1", serial), ("concurrency 20", burst)):
        p50 = statistics.median(values)
        print(f"{label:<44}{p50 * 1000:>8.0f}{percentile(values, 0.99) * 1000:>9.0f}"
              f"{(p50 - bare_p50) * 1000:>12.0f} ms")


if __name__ == "__main__":
    main()
