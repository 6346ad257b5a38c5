"""The perimeter, attacked from outside the production server: headers, CORS, CSRF, the websocket."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import AppServer, app_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FOREIGN = "https://evil.example"
PASSWORD = "violet-lighthouse-42"
# Reports every CSP violation into window.dpViolations before the page's own scripts run.
RECORD_VIOLATIONS = """
window.dpViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.dpViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture
def http(app_server: AppServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_server.base_url, timeout=15, follow_redirects=True) as client:
        yield client


def _websocket_handshake(app_server: AppServer, origin: str) -> int:
    """The HTTP status answering a websocket upgrade of Reflex's event socket from `origin`."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{app_server.port}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", app_server.port), timeout=15) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def _sign_in_as_admin(page: Page, app_server: AppServer) -> str:
    """A new admin signed in through the login page; returns the session cookie's value."""
    email = f"admin-{os.urandom(4).hex()}@example.test"
    app_cli(app_server, "create-user", "--email", email, "--password", PASSWORD, "--role", "admin", "--verified")
    page.goto("/login?next=/account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"^[^?]*/account/?$"))
    return next(c["value"] for c in page.context.cookies() if c["name"] == "dp_session")


def test_pages_carry_a_csp_that_refuses_framing_and_the_other_security_headers(http: httpx.Client) -> None:
    for path in ("/", "/login", "/pricing", "/no-such-page"):
        page = http.get(path)
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"


def test_the_api_carries_the_security_headers_that_apply_to_it(http: httpx.Client) -> None:
    health = http.get("/api/health")
    assert health.headers["x-content-type-options"] == "nosniff"
    assert health.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in health.headers["content-security-policy"]


def test_reset_and_verify_links_never_send_their_token_as_referer(http: httpx.Client) -> None:
    for path in ("/reset?token=secret-reset-token", "/verify?token=secret-verify-token"):
        assert http.get(path).headers["referrer-policy"] == "no-referrer"


def test_a_cors_preflight_from_a_foreign_origin_is_refused(http: httpx.Client) -> None:
    preflight = http.options("/api/v1/account", headers={
        "origin": FOREIGN, "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_a_credentialed_request_from_a_foreign_origin_gets_no_cors_grant(http: httpx.Client) -> None:
    answered = http.get("/api/health", headers={"origin": FOREIGN, "cookie": "dp_session=anything"})
    assert answered.headers.get("access-control-allow-origin") not in (FOREIGN, "*")


def test_the_apps_own_origin_passes_the_cors_preflight(http: httpx.Client, app_server: AppServer) -> None:
    preflight = http.options("/api/v1/account", headers={
        "origin": app_server.base_url, "access-control-request-method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == app_server.base_url


def test_the_event_websocket_refuses_a_foreign_origin(app_server: AppServer) -> None:
    assert _websocket_handshake(app_server, FOREIGN) == 403


def test_the_event_websocket_accepts_the_apps_own_origin(app_server: AppServer) -> None:
    assert _websocket_handshake(app_server, app_server.base_url) == 101


def test_a_bogus_authorization_header_does_not_let_a_cross_site_post_ride_the_session(
        page: Page, app_server: AppServer, http: httpx.Client) -> None:
    victim = json.loads(app_cli(app_server, "create-user", "--email", f"victim-{os.urandom(4).hex()}@example.test",
                                "--password", PASSWORD, "--verified"))
    cookie = _sign_in_as_admin(page, app_server)

    forged = http.post(f"/api/admin/users/{victim['id']}/suspend", json={"reason": "forged"},
                       headers={"cookie": f"dp_session={cookie}", "authorization": "Bearer dp_live_forged",
                                "origin": FOREIGN})

    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"


def test_pages_run_under_the_csp_without_a_violation(page: Page, app_server: AppServer) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    _sign_in_as_admin(page, app_server)
    violations: list[str] = page.evaluate("window.dpViolations")
    for path in ("/generate", "/gallery", "/seeds", "/"):
        response = page.goto(path)
        assert response is not None and "content-security-policy" in response.headers
        page.wait_for_load_state("networkidle")
        violations += page.evaluate("window.dpViolations")

    assert violations == []
    assert not [text for text in console if "Content Security Policy" in text]
