"""Fetching a URL someone gave us, without letting it reach inside our network (SSRF).

Every address a host name resolves to must be public: loopback, private, link-local,
multicast, reserved and cloud metadata addresses are refused, and so are the IPv6 ranges
that lead to an IPv4 host (NAT64, 6to4, IPv4-compatible, Teredo) and site-local ones. The connection then goes to
the address that was checked (so DNS cannot answer differently a second time), and every
redirect is checked the same way. Size and time are capped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from dreampixel.core.errors import DreamPixelError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

MAX_REDIRECTS = 5
# Cloud metadata services answer on these even where they look routable.
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")}


class UnsafeUrl(DreamPixelError):
    status_code = 422
    code = "unsafe_url"
    title = "URL not allowed"


class FetchFailed(DreamPixelError):
    status_code = 422
    code = "fetch_failed"
    title = "Could not fetch the URL"


@dataclass(frozen=True)
class Fetched:
    url: str
    content: bytes
    content_type: str


# IPv6 ranges that carry or reach an IPv4 address (NAT64, 6to4, IPv4-compatible, Teredo) or
# are deprecated site-local: a gateway would forward them to any IPv4 host, internal ones
# included, so none of them is ever fetched whatever it embeds.
TUNNELED_NETWORKS = tuple(ipaddress.ip_network(network) for network in (
    "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "::/96", "2001::/32", "fec0::/10",
))


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif any(address in network for network in TUNNELED_NETWORKS):
            return False
    return address.is_global and not address.is_multicast and address not in METADATA_ADDRESSES


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchFailed(f"The host {host!r} could not be found.") from error
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def _vetted_address(url: str, resolver: Resolver, allow: Callable[[IPAddress, int], bool]) -> tuple[str, IPAddress, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("Only http and https URLs can be fetched.")
    if parts.username or parts.password:
        raise UnsafeUrl("URLs with credentials are not fetched.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = await resolver(host, port)
    if not addresses:
        raise FetchFailed(f"The host {host!r} could not be found.")
    for address in addresses:
        if not allow(address, port):
            raise UnsafeUrl("That URL points to a private or internal address, which is never fetched.")
    return host, addresses[0], port


async def vet(
    url: str,
    *,
    resolver: Resolver = system_resolver,
    allow: Callable[[IPAddress, int], bool] = lambda address, _port: is_public(address),
) -> tuple[str, IPAddress, int]:
    """(host, address, port) that `url` connects to; UnsafeUrl unless every address it resolves to is allowed.

    Other outgoing requests (webhooks) check their targets with it, then connect to that address.
    """
    return await _vetted_address(url, resolver, allow)


async def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float = 15.0,
    resolver: Resolver = system_resolver,
    allow: Callable[[IPAddress, int], bool] = lambda address, _port: is_public(address),
    transport: httpx.AsyncBaseTransport | None = None,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET `url` (following up to five checked redirects) and return at most `max_bytes`.

    `headers` (a credential, say) go to the first URL's origin only, never after a redirect away.
    """
    deadline = time.monotonic() + timeout
    origin = urlsplit(url)[:2]
    async with httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            host, address, port = await _vetted_address(url, resolver, allow)
            parts = urlsplit(url)
            target = parts._replace(netloc=f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchFailed("Fetching the URL took too long.")
            extra = headers if headers and parts[:2] == origin else {}
            request = client.build_request(
                "GET", target.geturl(), headers={**extra, "Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "image/*"},
                extensions={"sni_hostname": host, "timeout": {"connect": remaining, "read": remaining,
                                                              "write": remaining, "pool": remaining}},
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as error:
                raise FetchFailed(f"The URL could not be fetched ({type(error).__name__}).") from error
            try:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchFailed("The URL redirected nowhere.")
                    url = urljoin(url, location)
                    continue
                if response.status_code != 200:
                    raise FetchFailed(f"The URL answered with HTTP {response.status_code}.")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchFailed(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", status_code=413,
                                      code="image_too_large")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise FetchFailed(f"The file is larger than {max_bytes // (1024 * 1024)} MB.",
                                          status_code=413, code="image_too_large")
                    if time.monotonic() > deadline:
                        raise FetchFailed("Fetching the URL took too long.")
                return Fetched(url=url, content=bytes(body), content_type=response.headers.get("content-type", ""))
            finally:
                await response.aclose()
    raise FetchFailed("The URL redirected too many times.")
