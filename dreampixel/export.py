"""Build the frontend once, for a reverse proxy to serve: `python -m dreampixel.export --out DIR`.

    python -m dreampixel.export --out build/frontend [--web-dir build/reflex-web]

Runs `reflex export --frontend-only --no-zip --env prod` and copies the static site it builds
(HTML pages, hashed assets, their .gz twins) to DIR. A Reflex build bakes the backend's URL
into one small chunk (`assets/reflex-env-*.js`); this build is made with a placeholder URL
that is then rewritten to the address the page was loaded from, so the same files work
behind any proxy, on any host name, port or scheme, as long as the proxy sends the backend's
paths (`/_event`, `/_upload`, `/ping`, `/_health`, `/_all_routes`, `/auth-codespace`, `/api`)
to an app backend. App backends then start without building anything:
`reflex run --env prod --backend-only`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WEB_DIR = ROOT / "build" / "reflex-web"
# A host name that can never resolve (RFC 6761): if the rewrite below missed one, the page
# fails loudly instead of talking to some other server.
PLACEHOLDER_ORIGIN = "http://same-origin.invalid"
PLACEHOLDER_HOST = "same-origin.invalid"
# Every quoted URL on the placeholder host in the env chunk: the quote, the scheme, the path.
_PLACEHOLDER_URL = re.compile(r"""(["'`])(https?|wss?)://""" + re.escape(PLACEHOLDER_HOST) + r"""(/[^"'`$\\]*)?\1""")
# Prepended to the env chunk: the origin of the page, in http(s) and ws(s) form. Outside a
# browser (Reflex prerenders pages in Node while building) there is no location; nothing
# connects there.
_SAME_ORIGIN_PRELUDE = (
    "var __dpLoc=typeof window<\"u\"?window.location:null,"
    "__dpTls=!!__dpLoc&&__dpLoc.protocol===\"https:\","
    "__dpHost=__dpLoc?__dpLoc.host:\"localhost\","
    "__dpHttp=(__dpTls?\"https://\":\"http://\")+__dpHost,"
    "__dpWs=(__dpTls?\"wss://\":\"ws://\")+__dpHost;\n"
)
MARKER = ".dreampixel-export.json"
# What the frontend is built from (make frontend rebuilds when one of them is newer). Not
# reflex.lock, nor assets/external: the build itself writes them.
SOURCES = ("dreampixel", "components", "states", "assets", "rxconfig.py")
GENERATED = ("__pycache__", "external")


class ExportError(Exception):
    """The build failed or produced something other than expected."""


def reflex_env(web_dir: Path) -> dict[str, str]:
    """What `reflex export` needs to build without reaching past the package registries."""
    bun = ROOT / ".tools" / "node_modules" / "bun" / "bin" / "bun.exe"
    env = {
        **os.environ,
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_HTTP_CLIENT_BIND_ADDRESS": os.environ.get("REFLEX_HTTP_CLIENT_BIND_ADDRESS", "0.0.0.0"),  # noqa: S104
        "NPM_CONFIG_REGISTRY": os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/"),
        "REFLEX_WEB_WORKDIR": str(web_dir),
        "REFLEX_API_URL": PLACEHOLDER_ORIGIN,
        # The build compiles the pages; it must not need (or touch) a database or Redis.
        "REDIS_URL": "",
        "DATABASE_URL": "",
        # Settings write this installation's generated secrets under DATA_DIR when they are
        # read; a build keeps them out of the image and the source tree.
        "DATA_DIR": str(web_dir / "export-data"),
    }
    if "REFLEX_BUN_PATH" not in os.environ and bun.exists():
        env["REFLEX_BUN_PATH"] = str(bun)
    return env


def same_origin(chunk: str) -> str:
    """The env chunk with every placeholder URL replaced by the page's own origin."""

    def rewrite(match: re.Match[str]) -> str:
        base = "__dpWs" if match.group(2).startswith("ws") else "__dpHttp"
        path = match.group(3) or ""
        return f"({base}+{json.dumps(path)})"

    rewritten, count = _PLACEHOLDER_URL.subn(rewrite, chunk)
    if count == 0 or PLACEHOLDER_HOST in rewritten:
        raise ExportError("the frontend's env chunk does not have the expected shape; the backend URL was not rewritten")
    return _SAME_ORIGIN_PRELUDE + rewritten


def rewrite_backend_urls(static_dir: Path) -> list[Path]:
    """Rewrite the placeholder backend URL in the built files; returns the files changed."""
    changed = []
    for path in sorted(static_dir.rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        if PLACEHOLDER_HOST not in text:
            continue
        path.write_text(same_origin(text), encoding="utf-8")
        # The precompressed twins must say the same thing; the ones we cannot redo go.
        for suffix in (".br", ".zst"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        gz = path.with_name(path.name + ".gz")
        if gz.exists():
            gz.write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
        changed.append(path)
    leftovers = [p for p in static_dir.rglob("*") if p.is_file() and p.suffix in (".js", ".html", ".json")
                 and PLACEHOLDER_HOST in p.read_text(encoding="utf-8", errors="replace")]
    if not changed or leftovers:
        raise ExportError(f"backend URL left in the build: {', '.join(map(str, leftovers)) or 'no env chunk found'}")
    return changed


def build(web_dir: Path) -> Path:
    """Run `reflex export` into `web_dir`; returns the directory of the built static site."""
    web_dir.mkdir(parents=True, exist_ok=True)
    reflex = Path(sys.executable).with_name("reflex")
    command = [str(reflex), "export", "--frontend-only", "--no-zip", "--env", "prod"]
    done = subprocess.run(command, cwd=ROOT, env=reflex_env(web_dir), check=False)  # noqa: S603
    if done.returncode != 0:
        raise ExportError(f"reflex export failed (exit code {done.returncode})")
    static_dir = web_dir / "build" / "client"
    if not (static_dir / "index.html").exists():
        raise ExportError(f"reflex export did not write {static_dir / 'index.html'}")
    return static_dir


def export(out: Path, *, web_dir: Path = DEFAULT_WEB_DIR) -> Path:
    """Build the frontend and put the same-origin static site in `out` (replaced whole)."""
    started = time.monotonic()
    static_dir = build(web_dir)
    out = out.resolve()
    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(static_dir, staging)
    rewrite_backend_urls(staging)
    (staging / MARKER).write_text(json.dumps({"built_seconds": round(time.monotonic() - started, 1),
                                              "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


def is_current(out: Path) -> bool:
    """Whether `out` holds an export newer than every file the frontend is built from."""
    marker = out / MARKER
    if not marker.exists():
        return False
    built = marker.stat().st_mtime
    for name in SOURCES:
        source = ROOT / name
        files = [source] if source.is_file() else (p for p in source.rglob("*") if not set(GENERATED) & set(p.parts))
        if any(path.is_file() and path.stat().st_mtime > built for path in files):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dreampixel.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write the static site to (replaced)")
    parser.add_argument("--web-dir", type=Path, default=Path(os.environ.get("REFLEX_WEB_WORKDIR") or DEFAULT_WEB_DIR),
                        help="Reflex's build directory (node_modules are kept there between builds)")
    args = parser.parse_args(argv)
    try:
        out = export(args.out, web_dir=args.web_dir.resolve())
    except ExportError as error:
        sys.stderr.write(f"export failed: {error}\n")
        return 1
    sys.stdout.write(f"frontend exported to {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
