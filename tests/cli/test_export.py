"""`python -m dreampixel.export`: the backend URL a build bakes in becomes the page's own origin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dreampixel.export import ExportError, rewrite_backend_urls, same_origin
from tests.fixtures.browser import BUN

# The env chunk as Reflex 0.10's build writes it, from a build made with the placeholder URL.
CHUNK = ("var e={PING:`http://same-origin.invalid/ping`,EVENT:`ws://same-origin.invalid/_event`,"
         "UPLOAD:`http://same-origin.invalid/_upload`,TRANSPORT:`websocket`,TEST_MODE:!1};export{e as t};")


def _evaluate(chunk: str, tmp_path: Path, location: dict[str, str] | None) -> dict[str, object]:
    if not BUN.exists():
        pytest.skip(f"bun is not installed at {BUN}")
    (tmp_path / "env.js").write_text(chunk)
    window = f"globalThis.window = {{location: {json.dumps(location)}}};" if location else ""
    (tmp_path / "setup.js").write_text(window)
    (tmp_path / "main.js").write_text('import "./setup.js";\nconst { t } = await import("./env.js");\n'
                                      "console.log(JSON.stringify(t));\n")
    done = subprocess.run([str(BUN), "main.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=True)
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize(("location", "http", "ws"), [
    ({"protocol": "http:", "host": "127.0.0.1:8080"}, "http://127.0.0.1:8080", "ws://127.0.0.1:8080"),
    ({"protocol": "https:", "host": "pixels.example.com"}, "https://pixels.example.com", "wss://pixels.example.com"),
])
def test_the_backend_is_wherever_the_page_came_from(tmp_path: Path, location: dict[str, str], http: str,
                                                    ws: str) -> None:
    env = _evaluate(same_origin(CHUNK), tmp_path, location)
    assert env == {"PING": f"{http}/ping", "EVENT": f"{ws}/_event", "UPLOAD": f"{http}/_upload",
                   "TRANSPORT": "websocket", "TEST_MODE": False}


def test_outside_a_browser_the_chunk_still_loads(tmp_path: Path) -> None:
    # Reflex prerenders the pages in a JS runtime without `window` while it builds.
    assert _evaluate(same_origin(CHUNK), tmp_path, None)["PING"] == "http://localhost/ping"


def test_a_build_that_is_not_shaped_as_expected_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        same_origin("var e={PING:`http://localhost:3000/ping`};export{e as t};")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "reflex-env-x.js").write_text(CHUNK)
    (tmp_path / "index.html").write_text('<a href="http://same-origin.invalid/">')
    with pytest.raises(ExportError, match=r"index\.html"):
        rewrite_backend_urls(tmp_path)
