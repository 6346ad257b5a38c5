"""Files and uploads, attacked from outside against the production server.

Oversized bodies to Reflex's `/_upload`, the API's uploads and its JSON routes; a small PNG
declaring a 13000x13000 canvas dropped on the generate page; and the caching headers a
signed image URL is answered with.
"""

from __future__ import annotations

import io
import re
import secrets
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator

import httpx
import psutil  # type: ignore[import-untyped]
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.fixtures.browser import AppServer, app_cli, app_user, wait_until_final

pytestmark = [pytest.mark.slow]

PASSWORD = "violet-lighthouse-42"
MAX_IMAGE_SIZE = 20 * 1024 * 1024  # the app server runs with the default MAX_IMAGE_SIZE
MAX_JSON_BODY_SIZE = 1024 * 1024
RESTORE_HANDLER = "reflex___state____state.states___generate____generate_state.restore_from_png"
BOMB_SIDE = 13_000
RSS_GROWTH_LIMIT = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def api_key(app_server: AppServer) -> str:
    email = app_user(app_server, prefix="files", name="Fay Files", password=PASSWORD, credits=20)
    return app_cli(app_server, "create-api-key", "--email", email, "--name", "files test").splitlines()[-1].strip()


@pytest.fixture
def api(app_server: AppServer, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_server.base_url, headers={"Authorization": f"Bearer {api_key}"},
                      timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def bomb_png(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A valid RGBA PNG of 13000x13000 transparent pixels: under 1 MB on disk, 676 MB decoded."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + BOMB_SIDE * 4)
    idat = b"".join(compressor.compress(row) for _ in range(BOMB_SIDE)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 8, 6, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    path.write_bytes(data)
    assert len(data) < 1024 * 1024
    return data


def raw_request(app_server: AppServer, head: str, body_chunks: Iterator[bytes] = iter(())) -> tuple[int, bytes]:
    """Send `head` (and `body_chunks`) on a plain socket; the status and body of the answer."""
    with socket.create_connection(("127.0.0.1", app_server.port), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            for piece in body_chunks:
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and hung up before taking it all, as it should
        answer = b""
        while b"\r\n\r\n" not in answer:
            received = sock.recv(65536)
            if not received:
                break
            answer += received
        status_line, _, rest = answer.partition(b"\r\n")
        return int(status_line.split()[1]), rest


def chunked(total: int, *, field: str, piece: int = 256 * 1024) -> Iterator[bytes]:
    """A multipart body whose one file part (named `field`) holds `total` bytes, as HTTP/1.1 chunks."""
    opening = (f'--x\r\nContent-Disposition: form-data; name="{field}"; filename="big.png"\r\n'
               "Content-Type: image/png\r\n\r\n").encode()
    yield f"{len(opening):x}\r\n".encode() + opening + b"\r\n"
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        yield f"{size:x}\r\n".encode() + b"\0" * size + b"\r\n"
        sent += size
    closing = b"\r\n--x--\r\n"
    yield f"{len(closing):x}\r\n".encode() + closing + b"\r\n0\r\n\r\n"


def server_processes(app_server: AppServer) -> list[psutil.Process]:
    """Every process serving the app's port, with their children (workers included)."""
    listening = {c.pid for c in psutil.net_connections(kind="tcp")
                 if c.laddr and c.laddr.port == app_server.port and c.status == psutil.CONN_LISTEN and c.pid}
    found: dict[int, psutil.Process] = {}
    for pid in listening:
        process = psutil.Process(pid)
        for member in [process, *process.children(recursive=True)]:
            found[member.pid] = member
    assert found, "no process listens on the app's port"
    return list(found.values())


class PeakRss:
    """Samples the summed RSS of some processes every few milliseconds; `growth` is peak minus start."""

    def __init__(self, processes: list[psutil.Process]) -> None:
        self.processes = processes
        self.baseline = self._total()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _total(self) -> int:
        total = 0
        for process in self.processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.5)  # a decode that started late would show up now
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


# --- body caps ---------------------------------------------------------------------------------


def test_reflex_upload_declaring_more_than_the_cap_is_refused_before_its_body(app_server: AppServer) -> None:
    head = (f"POST /_upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {MAX_IMAGE_SIZE * 2}\r\nReflex-Client-Token: {secrets.token_hex(8)}\r\n"
            f"Reflex-Event-Handler: {RESTORE_HANDLER}\r\n\r\n")
    status, _ = raw_request(app_server, head)  # not one byte of the body is sent
    assert status == 413


def test_a_chunked_reflex_upload_is_cut_off_at_the_cap(app_server: AppServer) -> None:
    head = ("POST /_upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            f"Transfer-Encoding: chunked\r\nReflex-Client-Token: {secrets.token_hex(8)}\r\n"
            f"Reflex-Event-Handler: {RESTORE_HANDLER}\r\n\r\n")
    status, _ = raw_request(app_server, head, chunked(MAX_IMAGE_SIZE + 512 * 1024, field="files"))
    assert status == 413


def test_a_chunked_api_upload_over_the_cap_is_refused_before_the_form_is_parsed(
    app_server: AppServer, api_key: str
) -> None:
    head = ("POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            f"Transfer-Encoding: chunked\r\nAuthorization: Bearer {api_key}\r\n\r\n")
    # Named other than "file": parsed whole, this body would earn a 422 about the field name.
    status, _ = raw_request(app_server, head, chunked(MAX_IMAGE_SIZE + 512 * 1024, field="other"))
    assert status == 413


def test_a_json_body_over_the_cap_is_refused_before_parsing(api: httpx.Client) -> None:
    prompt = "a lighthouse " * (MAX_JSON_BODY_SIZE // 10)

    def body() -> Iterator[bytes]:  # streamed: no Content-Length, the server must count
        yield b'{"prompt": "'
        yield prompt.encode()
        yield b'"}'

    response = api.post("/api/v1/generations", content=body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


# --- a decompression bomb ------------------------------------------------------------------------


# A DataTransfer holding one PNG, as a drag from the desktop carries it.
DATA_TRANSFER = """([bytes, name]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "image/png"}));
  return transfer;
}"""


@pytest.mark.e2e
def test_a_huge_canvas_dropped_to_restore_settings_is_refused_without_growing_the_server(
    page: Page, app_server: AppServer, bomb_png: bytes
) -> None:
    email = app_user(app_server, prefix="bomb", name="Bo Bomb", password=PASSWORD, credits=5)
    _sign_in(page, email, "/login?next=%2Fgenerate")
    expect(page.get_by_label("Prompt", exact=True)).to_be_visible()
    transfer = page.evaluate_handle(DATA_TRANSFER, [list(bomb_png), "bomb.png"])
    zone = page.get_by_role("region", name="Restore settings").get_by_text("Drop or choose a PNG")

    with PeakRss(server_processes(app_server)) as rss:
        zone.dispatch_event("dragenter", {"dataTransfer": transfer})
        zone.dispatch_event("drop", {"dataTransfer": transfer})
        # Whatever the answer, wait for it: the memory is measured over the whole handling.
        answer = page.get_by_text(re.compile("on each side|carries no generation settings|Settings restored"))
        expect(answer).to_be_visible(timeout=60_000)

    assert rss.growth < RSS_GROWTH_LIMIT, f"the server grew by {rss.growth / 2**20:.0f} MB"
    expect(page.get_by_text("Images can be at most 4096 pixels on each side (13000x13000).")).to_be_visible()


# --- deleted images ----------------------------------------------------------------------------


def _sign_in(page: Page, email: str, route: str) -> None:
    page.goto(route)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")


@pytest.mark.e2e
def test_after_the_account_is_deleted_its_uploads_urls_answer_404(page: Page, app_server: AppServer) -> None:
    email = app_user(app_server, prefix="gone", name="Gus Gone", password=PASSWORD, credits=1)
    key = app_cli(app_server, "create-api-key", "--email", email, "--name", "gone").splitlines()[-1].strip()
    with httpx.Client(base_url=app_server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:
        uploaded = api.post("/api/v1/uploads", files={"file": ("ref.png", _png(), "image/png")}).json()
        urls = [uploaded["url"], uploaded["thumbnail_url"]]
        assert [api.get(url).status_code for url in urls] == [200, 200]

        _sign_in(page, email, "/login?next=%2Faccount")
        danger = page.get_by_role("form", name="Delete account")
        danger.get_by_label("Your password").fill(PASSWORD)
        danger.get_by_role("button", name="Delete my account").click()
        expect(page).not_to_have_url(re.compile(r"/account"), timeout=15_000)

        assert [api.get(url).status_code for url in urls] == [404, 404]


# --- caching of private images --------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def _assert_private(response: httpx.Response) -> None:
    assert response.status_code == 200
    cache = response.headers["cache-control"]
    assert cache.startswith("private") and "public" not in cache and "immutable" not in cache, cache


def test_a_reference_uploads_signed_urls_are_private(api: httpx.Client) -> None:
    uploaded = api.post("/api/v1/uploads", files={"file": ("ref.png", _png(), "image/png")})
    assert uploaded.status_code in (200, 201), uploaded.text
    _assert_private(api.get(uploaded.json()["url"]))
    _assert_private(api.get(uploaded.json()["thumbnail_url"]))


def test_a_generated_images_signed_urls_are_private(api: httpx.Client) -> None:
    created = api.post("/api/v1/generations", json={"prompt": "a paper boat on a pond", "width": 256,
                                                    "height": 256, "provider": "local"})
    assert created.status_code in (200, 201, 202), created.text
    generation_id = created.json()["id"]
    assert wait_until_final(api, generation_id, timeout=60) == "succeeded"
    [output] = api.get(f"/api/v1/generations/{generation_id}").json()["outputs"]
    for url in (output["url"], output["thumbnail_url"]):
        _assert_private(api.get(url))



def test_an_images_url_does_not_carry_its_owners_id(api: httpx.Client) -> None:
    """What a published seed shows is such a URL: it must not tell who made the image."""
    owner_id = api.get("/api/v1/account").json()["id"]
    created = api.post("/api/v1/generations", json={"prompt": "a glass city at dawn", "width": 256,
                                                    "height": 256, "provider": "local"})
    generation_id = created.json()["id"]
    assert wait_until_final(api, generation_id, timeout=60) == "succeeded"
    [output] = api.get(f"/api/v1/generations/{generation_id}").json()["outputs"]
    assert owner_id not in output["url"] and owner_id not in output["thumbnail_url"]
