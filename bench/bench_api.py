"""The developer API under load, beside a bare endpoint on the same server in the same run.

One uvicorn process serves the app's `/api` stack (every middleware, SQLite in a throwaway
data directory) plus `/bare`, a route that answers "ok" and does nothing else. Fifty clients
then hammer, for `--seconds` each, in turn: `/bare`, `GET /api/v1/generations/{id}` and
`POST /api/v1/generations` (no job queue runs, so submits stay queued: this measures the API,
not the provider). Reported: requests/s, p50/p99 latency and the server process's CPU per
request of each. Goal: GET p99 within 2x the bare endpoint's.

With `--rounds N` the three loads run N times in turn and the medians are reported, with the
median of each round's ratio: the machine's other work then weighs on the bare endpoint and
the API alike.

    .venv/bin/python bench/bench_api.py [--concurrency 50] [--seconds 20] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
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
                try:
                    response = await http.request(method, url, headers=headers, json=body)
                except httpx.TransportError:  # a kept-alive connection the server closed meanwhile
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400
        await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors


def _figures(latencies: list[float], errors: int, seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"rate": len(ordered) / seconds, "p50": ordered[len(ordered) // 2],
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], "errors": errors}


def _report(name: str, figures: dict[str, float]) -> None:
    print(f"{name:<32} {figures['rate']:8.0f} req/s   p50 {figures['p50'] * 1000:7.1f} ms   "
          f"p99 {figures['p99'] * 1000:7.1f} ms   server CPU {figures['cpu_ms']:5.2f} ms/req   "
          f"errors {figures['errors']:.0f}")


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _median(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {field: statistics.median(r[field] for r in rounds) for field in rounds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=1)
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
        n, seconds = options.concurrency, options.seconds
        loads = {
            "GET /bare": (f"{base}/bare", "GET", {}, None),
            "GET /api/v1/generations/{id}": (f"{base}/api/v1/generations/{created['id']}", "GET", headers, None),
            "POST /api/v1/generations": (f"{base}/api/v1/generations", "POST", headers,
                                         {"prompt": "bench", "width": 256, "height": 256}),
        }
        print(f"concurrency {n}, {seconds:.0f} s each, {options.rounds} round(s)")
        results: dict[str, list[dict[str, float]]] = {name: [] for name in loads}
        for number in range(options.rounds):
            for name, (url, method, load_headers, body) in loads.items():
                cpu_before = _cpu_seconds(server.pid)
                figures = _figures(*asyncio.run(_load(url, method, load_headers, body, n, seconds)), seconds)
                # The server's own CPU per answered request: steadier than latency on a shared machine.
                figures["cpu_ms"] = (_cpu_seconds(server.pid) - cpu_before) * 1000 / max(1, figures["rate"] * seconds)
                results[name].append(figures)
                if options.rounds > 1:
                    _report(f"  round {number + 1}: {name}", figures)
        ratios = [get["p99"] / bare["p99"] for get, bare in zip(results["GET /api/v1/generations/{id}"],
                                                                 results["GET /bare"], strict=True)]
        if options.rounds > 1:
            print("medians:")
        for name, rounds in results.items():
            _report(name, _median(rounds))
        print(f"GET p99 / bare p99 = {statistics.median(ratios):.1f}x (goal: at most 2x)"
              + (f"; per round {', '.join(f'{r:.1f}x' for r in ratios)}" if options.rounds > 1 else ""))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
