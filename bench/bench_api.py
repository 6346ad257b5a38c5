"""The developer API under load, beside a bare endpoint on the same server in the same run.

One uvicorn process serves the app's `/api` stack (every middleware, SQLite in a throwaway
data directory) plus `/bare`, a route that answers "ok" and does nothing else. Fifty clients
then hammer, for `--seconds` each, in turn: `/bare`, `GET /api/v1/generations/{id}` and
`POST /api/v1/generations` (no job queue runs, so submits stay queued: this measures the API,
not the provider). Reported: requests/s and p50/p99 latency of each. Goal: GET p99 within 2x
the bare endpoint's.

    .venv/bin/python bench/bench_api.py [--concurrency 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def bench_app():  # type: ignore[no-untyped-def]  # uvicorn's --factory
    """The API app with `/bare` beside it (imported by the server process only)."""
    from starlette.responses import PlainTextResponse

    from dreampixel.api.app import create_api

    app = create_api()
    app.add_route("/bare", lambda _request: PlainTextResponse("ok"))
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "dreampixel", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


async def _load(url: str, method: str, headers: dict[str, str], body: dict[str, object] | None,
                concurrency: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await http.request(method, url, headers=headers, json=body)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400
        await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors


def _report(name: str, latencies: list[float], errors: int, seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:<32} {len(ordered) / seconds:8.0f} req/s   p50 {p50 * 1000:7.1f} ms   "
          f"p99 {p99 * 1000:7.1f} ms   errors {errors}")
    return {"p50": p50, "p99": p99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    options = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="dreampixel-bench-api-"))
    env = {**os.environ, "ENVIRONMENT": "development", "DATA_DIR": str(data), "REDIS_URL": "",
           "DATABASE_URL": f"sqlite:///{data / 'dreampixel.db'}", "S3_BUCKET_IMAGES": "", "LOG_LEVEL": "ERROR",
           "API_RATE_LIMIT_PRO": "100000000", "GENERATION_LIMIT_PRO": "100000000"}
    _cli(env, "migrate")
    _cli(env, "create-user", "--email", "bench@example.com", "--password", "bench password 1", "--tier", "pro",
         "--credits", "10000000", "--verified")
    key = _cli(env, "create-api-key", "--email", "bench@example.com", "--name", "bench").strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "bench.bench_api:bench_app",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                               "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/bare").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {"x-api-key": key}
        created = httpx.post(f"{base}/api/v1/generations", headers=headers,
                             json={"prompt": "bench", "width": 256, "height": 256}).json()
        print(f"concurrency {options.concurrency}, {options.seconds:.0f} s each")
        n, seconds = options.concurrency, options.seconds
        bare = _report("GET /bare", *asyncio.run(_load(f"{base}/bare", "GET", {}, None, n, seconds)), seconds)
        get = _report("GET /api/v1/generations/{id}", *asyncio.run(
            _load(f"{base}/api/v1/generations/{created['id']}", "GET", headers, None, n, seconds)), seconds)
        _report("POST /api/v1/generations", *asyncio.run(
            _load(f"{base}/api/v1/generations", "POST", headers, {"prompt": "bench", "width": 256, "height": 256},
                  n, seconds)), seconds)
        print(f"GET p99 / bare p99 = {get['p99'] / bare['p99']:.1f}x (goal: at most 2x)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
