"""The production web app in Chromium: landing page load, and click-to-first-image.

The app runs exactly as the browser tests run it (`running_app` in tests/fixtures/browser.py:
`reflex run --env prod --single-port`, a throwaway data directory with SQLite, jobs on the
app's own event loop, the offline `local` provider), in its own Reflex web directory so a test
run beside it keeps its build. Debian's Chromium is driven through Playwright.

1. Landing page `/`: cold loads (a fresh browser context each: empty cache, new connection)
   and warm loads (one context whose cache a first visit primed). DOMContentLoaded, load and
   first contentful paint come from the page's Navigation and Paint Timing entries. Bytes are
   summed over the Performance API entries of the document and of every resource fetched
   until the network is idle: `transferSize` (headers + encoded body as received, 0 when
   served from the cache) and `encodedBodySize` (the compressed bodies). The websocket that
   opens afterwards is not counted.
2. Click-to-first-image: a signed-in user on /generate types a prompt and a new seed (the
   form's defaults otherwise: 1024x1024 PNG, one image) and clicks Generate, one run after
   another, after one unmeasured warm-up run. In the page: the click event, the moment the
   card's <img> is in the DOM, its `load` event. From the database: the generation's
   created_at, started_at and completed_at (the worker finishing). Goal: the image appears
   within 300 ms of the worker finishing it (p50).

Clocks: page times are `performance.timeOrigin + performance.now()`, the database's are the
server's `datetime.now(UTC)`; both read this machine's wall clock, so differences between
them are meaningful to about a millisecond (the page's drift against `Date.now()` is printed).

    .venv/bin/python bench/bench_web.py [--runs 20] [--loads 10] [--web-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.browser import (  # noqa: E402
    ARTIFACTS,
    BUN,
    CHROMIUM,
    CHROMIUM_ARGS,
    WEB_DIR,
    AppServer,
    running_app,
)

GOAL_MS = 300
PASSWORD = "violet-lighthouse-42"
VIEWPORT = {"width": 1280, "height": 800}
RUN_TIMEOUT_MS = 60_000

LANDING_METRICS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const entries = [nav, ...performance.getEntriesByType("resource")];
  const sum = (key) => entries.reduce((total, entry) => total + (entry[key] || 0), 0);
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : 0,
          transfer: sum("transferSize"), encoded: sum("encodedBodySize"), decoded: sum("decodedBodySize"),
          requests: entries.length,
          from_cache: entries.filter((e) => e.transferSize === 0 && e.decodedBodySize > 0).length,
          revalidated: entries.filter((e) => e.transferSize > 0 && e.transferSize < e.encodedBodySize).length};
}"""

# Installed before each click: records the click, then follows the card of `prompt` until its
# first <img> has loaded. React may reuse a card element for another generation (the list is
# keyed by position), so attribute changes are watched as well as insertions.
WATCH_CARD = """(prompt) => {
  const now = () => performance.timeOrigin + performance.now();
  performance.setResourceTimingBufferSize(10000);
  const marks = window.__bench = {click: 0, card: 0, inserted: 0, loaded: 0, painted: 0, src: "",
                                  visible: false, error: 0, skew: Date.now() - now()};
  document.addEventListener("click", () => { marks.click = marks.click || now(); }, {capture: true, once: true});
  let img = null;
  const loaded = () => {
    marks.loaded = now();
    marks.src = img.currentSrc || img.src;
    requestAnimationFrame(() => {
      marks.painted = now();
      const box = img.getBoundingClientRect();
      marks.visible = img.naturalWidth > 0 && box.width > 0 && box.bottom > 0 && box.top < innerHeight
        && img.checkVisibility();
    });
    observer.disconnect();
  };
  const check = () => {
    if (img) return;
    const card = [...document.querySelectorAll("article")]
      .find((a) => a.getAttribute("aria-label") === "Generation: " + prompt);
    if (!card) return;
    marks.card = marks.card || now();
    img = card.querySelector("img");
    if (!img) return;
    marks.inserted = now();
    if (img.complete && img.naturalWidth > 0) { loaded(); return; }
    img.addEventListener("load", loaded, {once: true});
    img.addEventListener("error", () => { marks.error = now(); }, {once: true});
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {childList: true, subtree: true, attributes: true,
                                   attributeFilter: ["aria-label", "src"]});
  check();
}"""

IMAGE_TIMING = """(src) => {
  const entry = performance.getEntriesByName(src).pop();
  if (!entry) return null;
  const origin = performance.timeOrigin;
  return {fetch_start: origin + entry.fetchStart, response_start: origin + entry.responseStart,
          response_end: origin + entry.responseEnd, bytes: entry.transferSize};
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ---- landing page ------------------------------------------------------------------------------


def landing_load(context: Any, base_url: str) -> dict[str, float]:
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        page.goto(f"{base_url}/", wait_until="load")
        page.wait_for_load_state("networkidle")
        metrics: dict[str, float] = page.evaluate(LANDING_METRICS)
    finally:
        page.close()
    metrics["failed"] = len(failed)
    return metrics


def measure_landing(browser: Any, app: AppServer, loads: int) -> dict[str, list[dict[str, float]]]:
    cold = []
    for _ in range(loads + 1):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            cold.append(landing_load(context, app.base_url))
        finally:
            context.close()
    cold = cold[1:]  # the server's first answers (files opened, caches filled) are not a visitor's
    context = browser.new_context(viewport=VIEWPORT)
    try:
        landing_load(context, app.base_url)  # primes the cache
        warm = [landing_load(context, app.base_url) for _ in range(loads)]
    finally:
        context.close()
    return {"cold": cold, "warm": warm}


# ---- click to first image ----------------------------------------------------------------------


def create_user() -> tuple[str, str]:
    """A verified PRO account with credits, through the service layer, in the app's database."""
    from dreampixel.core.db import uow
    from dreampixel.core.models import Tier
    from services.accounts import service as accounts

    email = f"bench-{int(time.time())}@example.test"
    with uow() as session:
        user = accounts.create_user(session, email=email, password=PASSWORD, name="Bench", tier=Tier.PRO,
                                    credits=500, verified=True)
        return user.id, email


def sign_in(page: Any, email: str) -> None:
    page.goto("/generate")
    page.wait_for_url("**/login?next=%2Fgenerate")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.get_by_role("heading", name="Generate", level=1).wait_for()
    page.get_by_label("Prompt", exact=True).wait_for()


def one_generation(page: Any, prompt: str, seed: int) -> dict[str, Any]:
    """Type, click Generate, wait for the card's image to load; the page's marks in epoch ms."""
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Seed", exact=True).fill(str(seed))
    page.evaluate(WATCH_CARD, prompt)
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function("() => window.__bench.painted > 0 || window.__bench.error > 0", timeout=RUN_TIMEOUT_MS)
    marks: dict[str, Any] = page.evaluate("window.__bench")
    if marks["error"]:
        raise RuntimeError(f"the image of {prompt!r} failed to load")
    marks["image"] = page.evaluate(IMAGE_TIMING, marks["src"])
    return marks


def completion_times(user_id: str) -> dict[str, dict[str, float]]:
    """Each of the user's generations by prompt: created, started and completed, epoch ms."""
    from dreampixel.core.db import uow
    from services.generation import service as generations

    with uow() as session:
        rows, _ = generations.list_for_user(session, user_id=user_id, limit=1000)
        return {
            row.prompt: {"status": row.status.value,  # type: ignore[dict-item]
                         "created": row.created_at.timestamp() * 1000,
                         "started": row.started_at.timestamp() * 1000 if row.started_at else 0.0,
                         "completed": row.completed_at.timestamp() * 1000 if row.completed_at else 0.0}
            for row in rows
        }


def measure_generations(browser: Any, app: AppServer, runs: int) -> list[dict[str, float]]:
    from dreampixel.core.logging import configure_logging

    configure_logging(level="WARNING")
    user_id, email = create_user()
    context = browser.new_context(base_url=app.base_url, viewport=VIEWPORT, color_scheme="light")
    context.set_default_timeout(30_000)
    page = context.new_page()
    marks: dict[str, dict[str, Any]] = {}
    try:
        sign_in(page, email)
        one_generation(page, "a lighthouse on a cliff at dusk, warm-up", 7)
        for i in range(runs):
            prompt = f"a lighthouse on a cliff at dusk, run {i + 1}"
            marks[prompt] = one_generation(page, prompt, 1000 + i)
    finally:
        context.close()
    rows = completion_times(user_id)
    results = []
    for prompt, mark in marks.items():
        row = rows[prompt]
        if row["status"] != "succeeded":
            raise RuntimeError(f"{prompt!r} ended {row['status']}")
        image = mark["image"] or {}
        results.append({
            "click_to_queued": row["created"] - mark["click"],
            "queued_to_started": row["started"] - row["created"],
            "started_to_completed": row["completed"] - row["started"],
            "click_to_completed": row["completed"] - mark["click"],
            "completed_to_img": mark["inserted"] - row["completed"],
            "img_to_fetch": image.get("fetch_start", mark["inserted"]) - mark["inserted"],
            "fetch": image.get("response_end", mark["inserted"]) - image.get("fetch_start", mark["inserted"]),
            "response_to_loaded": mark["loaded"] - image.get("response_end", mark["loaded"]),
            "img_to_loaded": mark["loaded"] - mark["inserted"],
            "completed_to_loaded": mark["loaded"] - row["completed"],
            "completed_to_painted": mark["painted"] - row["completed"],
            "click_to_loaded": mark["loaded"] - mark["click"],
            "image_bytes": image.get("bytes", 0),
            "visible": float(mark["visible"]),
            "skew": mark["skew"],
            "file": mark["src"].split("?")[0].rsplit("/", 1)[-1],  # type: ignore[dict-item]
        })
    return results


# ---- report ------------------------------------------------------------------------------------


def print_landing(landing: dict[str, list[dict[str, float]]]) -> None:
    print(f"{'landing page /':<30}{'DCL ms':>8}{'load ms':>9}{'FCP ms':>8}{'KB sent':>9}{'KB bodies':>11}"
          f"{'requests':>10}{'cached':>8}{'reval.':>8}")
    for label, loads in landing.items():
        def median(key: str, loads: list[dict[str, float]] = loads) -> float:
            return statistics.median(load[key] for load in loads)

        print(f"{f'{label} ({len(loads)} loads, median)':<30}{median('dcl'):>8.0f}{median('load'):>9.0f}"
              f"{median('fcp'):>8.0f}{median('transfer') / 1024:>9.1f}{median('encoded') / 1024:>11.1f}"
              f"{median('requests'):>10.0f}{median('from_cache'):>8.0f}{median('revalidated'):>8.0f}")
    cold = landing["cold"][0]
    failed = max(load["failed"] for loads in landing.values() for load in loads)
    print(f"  KB sent = sum of transferSize (0 when cached), KB bodies = sum of encodedBodySize; uncompressed "
          f"{cold['decoded'] / 1024:.0f} KB; failed requests per load: {failed:.0f}; "
          "cached = no request; reval. = fewer bytes sent than the body (headers only: a 304)")


def print_generations(results: list[dict[str, float]]) -> None:
    rows = [
        ("click -> image loaded", "click_to_loaded"),
        ("click -> worker finished", "click_to_completed"),
        ("  click -> row queued (submit)", "click_to_queued"),
        ("  queued -> started", "queued_to_started"),
        ("  started -> finished (worker)", "started_to_completed"),
        ("worker finished -> image loaded", "completed_to_loaded"),
        ("  finished -> <img> in the card", "completed_to_img"),
        ("  <img> -> image loaded", "img_to_loaded"),
        ("    <img> -> request starts", "img_to_fetch"),
        ("    request -> response end", "fetch"),
        ("    response end -> load event", "response_to_loaded"),
        ("worker finished -> next frame", "completed_to_painted"),
    ]
    print(f"click to first image, local provider 1024x1024 PNG, {len(results)} runs, {os.cpu_count()} cores")
    print(f"{'':<36}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    for label, key in rows:
        values = [r[key] for r in results]
        print(f"{label:<36}{statistics.median(values):>8.0f}{percentile(values, 0.95):>8.0f}{max(values):>8.0f}")
    p50 = statistics.median(r["completed_to_loaded"] for r in results)
    verdict = "met" if p50 < GOAL_MS else "NOT met"
    print(f"goal: worker finished -> image loaded p50 under {GOAL_MS} ms: {verdict} ({p50:.0f} ms)")
    visible = sum(r["visible"] for r in results)
    kb = statistics.median(r["image_bytes"] for r in results) / 1024
    skew = max(abs(r["skew"]) for r in results)
    files = sorted({str(r["file"]).split("-")[-1] for r in results})
    print(f"  image visible in the viewport after load: {visible:.0f}/{len(results)}; the card loads "
          f"{', '.join(files)}, {kb:.0f} KB; "
          f"page clock vs Date.now(): {skew:.1f} ms at most")


# ---- main --------------------------------------------------------------------------------------


def bench_web_dir(requested: Path | None) -> Path:
    """The bench's own Reflex web directory, seeded from the tests' one to skip the package install."""
    web_dir = requested or ARTIFACTS / "reflex-web-bench"
    if not web_dir.exists() and (WEB_DIR / "node_modules").is_dir():
        # Not the tests' build: this run rebuilds it anyway, with its own port baked in.
        shutil.copytree(WEB_DIR, web_dir, symlinks=True,
                        ignore=lambda folder, _names: ["build"] if Path(folder) == WEB_DIR else [])
    return web_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="measured generations")
    parser.add_argument("--loads", type=int, default=10, help="landing page loads, cold and warm each")
    parser.add_argument("--web-dir", type=Path, default=None,
                        help="Reflex web directory (default test-artifacts/reflex-web-bench)")
    args = parser.parse_args()
    if not BUN.exists() or not CHROMIUM.exists():
        print(f"needs bun at {BUN} and Chromium at {CHROMIUM} (make test installs them)")
        return

    data_dir = Path(tempfile.mkdtemp(prefix="dreampixel-bench-web-"))
    # This process reads and writes the app's database through the service layer.
    os.environ.update({"ENVIRONMENT": "test", "DATA_DIR": str(data_dir), "REDIS_URL": "",
                       "DATABASE_URL": f"sqlite:///{data_dir / 'dreampixel.db'}"})
    ARTIFACTS.mkdir(exist_ok=True)
    web_dir = bench_web_dir(args.web_dir)
    log_path = ARTIFACTS / "bench-web-app.log"
    try:
        from playwright.sync_api import sync_playwright

        with running_app(data_dir, web_dir=web_dir, log_path=log_path) as app, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            version = browser.version
            try:
                landing = measure_landing(browser, app, args.loads)
                results = measure_generations(browser, app, args.runs)
            finally:
                browser.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"production app (reflex run --env prod --single-port, SQLite, in-process jobs), started in "
          f"{app.startup_seconds:.0f} s; Chromium {version}; app log: {log_path.relative_to(ROOT)}")
    print()
    print_landing(landing)
    print()
    print_generations(results)


if __name__ == "__main__":
    main()
