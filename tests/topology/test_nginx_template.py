"""The nginx template, without the topology: nginx accepts it as rendered, and every page route with
a parameter in its path is served from the SPA fallback."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.processes import find_binary
from tests.topology.conftest import launcher

pytestmark = pytest.mark.topology

VARIABLES = {
    "DP_LISTEN": "127.0.0.1:8080",
    "DP_UPSTREAM_SERVERS": "server 127.0.0.1:8081 max_fails=1 fail_timeout=5s; server 127.0.0.1:8082;",
    "DP_STATIC_ROOT": "/srv/dreampixel/frontend",
    "DP_MAX_BODY": "20544k",
    "DP_PAGE_CSP": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "DP_ACCESS_LOG": "/dev/null",
}


def test_every_placeholder_is_one_the_deployments_set() -> None:
    template = launcher.NGINX_TEMPLATE.read_text()
    assert set(re.findall(r"\$\{(\w+)\}", template)) == set(VARIABLES)
    rendered = launcher.render_template(template, VARIABLES)
    assert "${" not in rendered and "$http_upgrade" in rendered, "nginx's own variables are left alone"


def test_nginx_accepts_the_rendered_template(tmp_path: Path) -> None:
    nginx = find_binary("nginx", "/usr/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed (make system-deps installs it)")
    site = tmp_path / "dreampixel.conf"
    site.write_text(launcher.render_template(launcher.NGINX_TEMPLATE.read_text(), VARIABLES))
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
                    f"http {{ include /etc/nginx/mime.types; client_body_temp_path {tmp_path};\n"
                    f"proxy_temp_path {tmp_path}; include {site}; }}\n")
    done = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_pages_with_a_path_parameter_are_served_from_the_fallback() -> None:
    import dreampixel.dreampixel  # noqa: F401 (registers the pages)
    from dreampixel.pages.shell import PAGES

    template = launcher.NGINX_TEMPLATE.read_text()
    [pattern] = re.findall(r"location ~ (\^/\(seeds[^ ]+) \{", template)
    dynamic = [page.route for page in PAGES if "[" in page.route]
    assert dynamic, "the app has pages with a parameter in their path"
    for route in dynamic:
        example = re.sub(r"\[[^\]]+\]", "x_01ABC", route)
        assert re.match(pattern, example), f"{route} is not served by nginx's fallback location"
    for route in (page.route for page in PAGES if "[" not in page.route):
        assert not re.match(pattern, route if route.startswith("/") else f"/{route}"), route
