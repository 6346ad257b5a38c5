"""`make run`: serve the production build on one port and say where, once it answers.

    python -m dreampixel.serve [--host 127.0.0.1] [--port 3000]

Runs `reflex run --env prod` (frontend, event websocket and /api on one port), waits until
/api/health answers, then prints the URL and the demo logins. Ctrl+C stops it. Each port builds
its frontend in its own directory (`.web-prod/<port>`): the build bakes the port into the
pages, so two instances sharing one directory would send each other's visitors to the wrong one.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from dreampixel.cli import production_refusal
from dreampixel.core.settings import Environment, settings

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 900  # the first start installs the frontend's packages
WEB_DIRS = ROOT / ".web-prod"


def web_dir(port: int) -> Path:
    """Where the production frontend for `port` is built (REFLEX_WEB_WORKDIR overrides it)."""
    return Path(os.environ.get("REFLEX_WEB_WORKDIR") or WEB_DIRS / str(port))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own loopback URL)
            return bool(response.status < 500)
    except urllib.error.HTTPError as error:
        return error.code == 503  # degraded (an optional service is down) is still serving
    except (urllib.error.URLError, OSError):
        return False


def banner(url: str) -> str:
    features = "\n".join(f"    {name:<15} {state}" for name, state in settings.features().items())
    demo = "" if settings.environment is Environment.PRODUCTION else (
        f"  Demo logins:\n"
        f"    admin  {settings.demo_admin_email} / {settings.demo_admin_password.get_secret_value()}\n"
        f"    user   {settings.demo_user_email} / {settings.demo_user_password.get_secret_value()}\n\n"
    )
    return (
        f"\n  Dream Pixel is running at {url}\n\n"
        f"{demo}"
        f"  REST API: {url}/api/docs   health: {url}/api/health\n\n"
        f"  Services:\n{features}\n\n"
        f"  Press Ctrl+C to stop.\n"
    )


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dreampixel.serve")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)")
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args()
    refusal = production_refusal()
    if refusal:
        sys.stderr.write(f"refusing to start in production: {refusal}\n")
        return 1

    # Stop the app with us whatever the signal: Ctrl+C, or a service manager's SIGTERM.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    env = {**os.environ, "PORT": str(args.port), "REFLEX_WEB_WORKDIR": str(web_dir(args.port))}
    reflex = Path(sys.executable).with_name("reflex")
    command = [str(reflex), "run", "--env", "prod", "--single-port", "--backend-host", args.host]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    url = f"http://{'localhost' if args.host in ('0.0.0.0', '127.0.0.1') else args.host}:{args.port}"  # noqa: S104
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _answers(f"http://127.0.0.1:{args.port}/api/health"):
            if process.poll() is not None:
                sys.stderr.write(f"the app stopped while starting (exit code {process.returncode})\n")
                return process.returncode or 1
            if time.monotonic() > deadline:
                sys.stderr.write("the app did not answer in time\n")
                return 1
            time.sleep(0.5)
        sys.stdout.write(banner(url))
        sys.stdout.flush()
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    raise SystemExit(main())
