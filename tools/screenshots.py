"""Screenshots of every admin console page, light and dark, at 1280 and 375 px wide.

    python tools/screenshots.py                      # builds and starts the production app on a
                                                     # throwaway database, seeds the demo data
    python tools/screenshots.py --base-url http://127.0.0.1:3000   # a running app (make run + make seed-demo)

It signs in as the demo admin (DEMO_ADMIN_EMAIL / DEMO_ADMIN_PASSWORD, or --email/--password),
opens every console route in the page registry (a detail route such as /admin/users/[user_id]
opens the first row its list links to) and writes `<route>-<width>-<scheme>.png` into
`screenshots/admin/` (git-ignored). A page wider than the screen is reported: tables scroll in
their own box, the page itself never sideways. Chromium comes from Debian (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OUT = REPO / "screenshots" / "admin"
WIDTHS = (1280, 375)
SCHEMES = ("light", "dark")
HEIGHT = {1280: 800, 375: 812}


@dataclass(frozen=True)
class Shot:
    route: str
    url: str
    width: int
    scheme: str
    path: Path
    overflow_px: int  # how far the page sticks out sideways (0: it fits)


def admin_routes() -> list[str]:
    """Every console route in the page registry, list pages before the detail pages they link to."""
    import dreampixel.dreampixel  # noqa: F401  (importing the app registers every page)
    from dreampixel.pages.shell import PAGES, is_console

    return sorted((p.route for p in PAGES if is_console(p.route)), key=lambda r: (r.count("["), r))


def file_name(route: str, width: int, scheme: str) -> str:
    stem = route.strip("/").replace("/", "-").replace("[", "").replace("]", "") or "admin"
    return f"{stem}-{width}-{scheme}.png"


def _concrete(page: Any, route: str) -> str | None:
    """A URL for `route`: itself, or for a detail route the first row its list page links to."""
    if "[" not in route:
        return route
    parent = route.split("/[", 1)[0]
    page.goto(parent)
    page.get_by_role("heading", level=1).first.wait_for()
    page.wait_for_load_state("networkidle")
    links = page.locator(f"main a[href^='{parent}/']")
    return links.first.get_attribute("href") if links.count() else None


def _settle(page: Any) -> None:
    page.get_by_role("heading", level=1).first.wait_for()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # charts lay out after their container has a size


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/login?next=%2Fadmin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin"), timeout=30_000)


IS_DARK = ("document.documentElement.classList.contains('dark')"
           " || getComputedStyle(document.documentElement).colorScheme === 'dark'")


def use_scheme(page: Any, scheme: str) -> None:
    """Put the app in `scheme` with its own toggle (the choice is kept for the rest of the visit)."""
    for _ in range(3):
        if bool(page.evaluate(IS_DARK)) == (scheme == "dark"):
            return
        page.get_by_role("button", name="Toggle dark mode").locator("visible=true").first.click()
        page.wait_for_timeout(300)
    raise RuntimeError(f"the app did not switch to its {scheme} appearance")


def capture(browser: Any, base_url: str, *, email: str, password: str, out: Path = OUT,
            widths: tuple[int, ...] = WIDTHS, schemes: tuple[str, ...] = SCHEMES,
            log_test_error: bool = False) -> list[Shot]:
    """Sign in once per width and scheme, then save every console page.

    With `log_test_error`, the system page's **Log a test error** is pressed first, so the error
    log has a row to show (it writes to the database: for a throwaway app only)."""
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Shot] = []
    routes = admin_routes()
    for scheme in schemes:
        for width in widths:
            context = browser.new_context(base_url=base_url, viewport={"width": width, "height": HEIGHT[width]},
                                          color_scheme=scheme)
            context.set_default_timeout(20_000)
            try:
                page = context.new_page()
                sign_in(page, email, password)
                use_scheme(page, scheme)
                if log_test_error and not shots:
                    page.goto("/admin/system")
                    _settle(page)
                    page.get_by_role("button", name="Log a test error").click()
                    page.get_by_text("admin.test_error").first.wait_for()
                for route in routes:
                    url = _concrete(page, route)
                    if url is None:
                        print(f"skipped {route}: its list has no row to open", file=sys.stderr)
                        continue
                    page.goto(url)
                    _settle(page)
                    use_scheme(page, scheme)
                    overflow = int(page.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"))
                    path = out / file_name(route, width, scheme)
                    page.screenshot(path=str(path), full_page=True, animations="disabled")
                    shots.append(Shot(route=route, url=url, width=width, scheme=scheme, path=path,
                                      overflow_px=max(0, overflow)))
            finally:
                context.close()
    return shots


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "dreampixel", *args], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise SystemExit(f"python -m dreampixel {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout.strip()


@contextmanager
def started_app() -> Iterator[str]:
    """The production app on a throwaway database with the demo data and a few generations."""
    import httpx

    from tests.fixtures.browser import running_app, wait_until_final

    with tempfile.TemporaryDirectory(prefix="dreampixel-screens-") as tmp:
        data = Path(tmp)
        with running_app(data, log_path=data / "app.log") as server:
            env = {**os.environ, "ENVIRONMENT": "test", "DATA_DIR": str(data), "REDIS_URL": "",
                   "DATABASE_URL": f"sqlite:///{data / 'dreampixel.db'}", "S3_BUCKET_IMAGES": ""}
            _cli(env, "seed-demo")
            from dreampixel.core.settings import settings

            key = _cli(env, "create-api-key", "--email", settings.demo_user_email).splitlines()[-1].strip()
            with httpx.Client(base_url=server.base_url, headers={"x-api-key": key}, timeout=60) as http:
                for prompt in ("a copper kettle on a stove", "a lighthouse in fog", "a fox in the snow"):
                    generation = http.post("/api/v1/generations", json={"prompt": prompt, "width": 512,
                                                                       "height": 512, "provider": "local"})
                    wait_until_final(http, generation.json()["id"], timeout=120)
            # A few staff actions, so the audit log and the account's history have rows to show.
            admin = ("--as", settings.demo_admin_email, "--email", settings.demo_user_email)
            _cli(env, "grant-credits", *admin, "--amount", "25", "--reason", "a make-good for a slow evening")
            _cli(env, "set-tier", *admin, "--tier", "enterprise", "--reason", "pilot contract")
            yield server.base_url


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from dreampixel.core.settings import settings
    from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="a running app; without it one is built and started")
    parser.add_argument("--email", default=settings.demo_admin_email)
    parser.add_argument("--password", default=settings.demo_admin_password.get_secret_value())
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    @contextmanager
    def app() -> Iterator[str]:
        if args.base_url:
            yield args.base_url.rstrip("/")
        else:
            with started_app() as url:
                yield url

    with app() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            shots = capture(browser, base_url, email=args.email, password=args.password, out=args.out,
                            log_test_error=not args.base_url)
        finally:
            browser.close()
    wide = [s for s in shots if s.overflow_px]
    for shot in shots:
        print(f"{shot.path.relative_to(REPO) if shot.path.is_relative_to(REPO) else shot.path}  {shot.url}"
              + (f"  (sticks out {shot.overflow_px} px)" if shot.overflow_px else ""))
    print(f"{len(shots)} screenshots in {args.out}; {len(wide)} wider than the screen")
    return 1 if wide or not shots else 0


if __name__ == "__main__":
    sys.exit(main())
