"""The SSRF guard: URLs are fetched only from public addresses, before and after redirects.

Real sockets throughout: a listener on loopback stands for an internal service and must
receive nothing; a small HTTP server plays the "public" site (the guard is told to treat
that one port as public, the way a real public host would be).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.images.fetch import FetchFailed, UnsafeUrl, fetch, is_public


class Listener:
    """A TCP port that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def internal_service() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


class Site(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        if self.path == "/slow":
            time.sleep(2)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up, as asked
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def public_site() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def only_port_is_public(port: int):  # type: ignore[no-untyped-def]
    return lambda address, p: p == port or is_public(address)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "100.100.100.200"],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::7f00:1", "64:ff9b::5db8:d822", "64:ff9b:1::a00:1", "2002:7f00:1::1", "2002:5db8:d822::1",
     "::7f00:1", "::10.0.0.1", "fec0::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"],
)
def test_ipv6_ranges_that_reach_ipv4_hosts_or_are_site_local_are_not_public(address: str) -> None:
    """NAT64, 6to4, IPv4-compatible and Teredo addresses lead a gateway to any IPv4 host."""
    assert not is_public(ipaddress.ip_address(address))


async def test_a_nat64_url_is_refused_before_connecting() -> None:
    with pytest.raises(UnsafeUrl):
        await fetch("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", max_bytes=1000)


def test_ordinary_public_addresses_are_public() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:4700::6810:85e5"))


async def test_a_loopback_url_is_refused_and_nothing_connects(internal_service: Listener) -> None:
    with pytest.raises(UnsafeUrl):
        await fetch(f"http://127.0.0.1:{internal_service.port}/secret.png", max_bytes=1000)
    with pytest.raises(UnsafeUrl):
        await fetch(f"http://[::ffff:127.0.0.1]:{internal_service.port}/", max_bytes=1000)
    assert internal_service.accepted == 0


async def test_a_name_that_resolves_to_a_private_address_is_refused(internal_service: Listener) -> None:
    async def rebinding_dns(host: str, port: int) -> list:  # type: ignore[type-arg]
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("127.0.0.1")]

    with pytest.raises(UnsafeUrl):
        await fetch(f"http://images.example.com:{internal_service.port}/a.png", max_bytes=1000,
                    resolver=rebinding_dns)
    assert internal_service.accepted == 0


async def test_the_checked_address_is_the_one_connected_to(public_site: int) -> None:
    Site.routes = {"/a.png": (200, {"Content-Type": "image/png"}, b"\x89PNG-bytes")}
    lookups: list[str] = []

    async def dns(host: str, port: int) -> list:  # type: ignore[type-arg]
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    fetched = await fetch(f"http://cdn.example.com:{public_site}/a.png", max_bytes=1000, resolver=dns,
                          allow=only_port_is_public(public_site))
    assert fetched.content == b"\x89PNG-bytes" and lookups == ["cdn.example.com"], "resolved once, used once"


async def test_a_redirect_to_an_internal_address_is_refused(public_site: int, internal_service: Listener) -> None:
    Site.routes = {"/jump": (302, {"Location": f"http://127.0.0.1:{internal_service.port}/admin"}, b"")}
    with pytest.raises(UnsafeUrl):
        await fetch(f"http://127.0.0.1:{public_site}/jump", max_bytes=1000, allow=only_port_is_public(public_site))
    assert internal_service.accepted == 0


async def test_metadata_and_credentials_urls_are_refused() -> None:
    with pytest.raises(UnsafeUrl):
        await fetch("http://169.254.169.254/latest/meta-data/", max_bytes=1000)
    with pytest.raises(UnsafeUrl):
        await fetch("http://user:pass@93.184.216.34/", max_bytes=1000)
    with pytest.raises(UnsafeUrl):
        await fetch("file:///etc/passwd", max_bytes=1000)


async def test_a_file_over_the_size_cap_is_refused(public_site: int) -> None:
    Site.routes = {"/big.png": (200, {}, b"x" * 5000)}
    with pytest.raises(FetchFailed) as refused:
        await fetch(f"http://127.0.0.1:{public_site}/big.png", max_bytes=1000, allow=only_port_is_public(public_site))
    assert refused.value.code == "image_too_large"


async def test_a_slow_server_hits_the_time_cap(public_site: int) -> None:
    Site.routes = {"/slow": (200, {}, b"late")}
    with pytest.raises(FetchFailed):
        await fetch(f"http://127.0.0.1:{public_site}/slow", max_bytes=1000, timeout=0.5,
                    allow=only_port_is_public(public_site))


async def test_too_many_redirects_are_refused(public_site: int) -> None:
    Site.routes = {"/loop": (302, {"Location": "/loop"}, b"")}
    with pytest.raises(FetchFailed, match="too many"):
        await fetch(f"http://127.0.0.1:{public_site}/loop", max_bytes=1000, allow=only_port_is_public(public_site))


async def test_headers_given_for_the_first_origin_do_not_follow_a_redirect(public_site: int) -> None:
    Site.routes = {"/jump": (302, {"Location": f"http://localhost:{public_site}/landing"}, b""),
                   "/landing": (200, {}, b"ok")}
    seen: list[str | None] = []
    original = Site.do_GET

    def recording(handler: Site) -> None:
        seen.append(handler.headers.get("Authorization"))
        original(handler)

    Site.do_GET = recording  # type: ignore[method-assign]
    try:
        await fetch(f"http://127.0.0.1:{public_site}/jump", max_bytes=1000, headers={"Authorization": "Bearer t"},
                    resolver=lambda host, port: _loopback(), allow=only_port_is_public(public_site))
    finally:
        Site.do_GET = original  # type: ignore[method-assign]
    assert seen == ["Bearer t", None]


async def _loopback() -> list:  # type: ignore[type-arg]
    return [ipaddress.ip_address("127.0.0.1")]
