"""A scratch database, a gunicorn server on loopback and a wrk run: what the public load
benchmark (bench/public_load.py) and the load test (tests/test_public_load.py) share."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TRIVIAL = "/bench/trivial/"


def postgres_scratch(url: str, name: str) -> tuple[str, Callable[[], None]]:
    """Database `name` on `url`'s server, dropped and created empty; its URL and a drop."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))

    def run(statement: sql.Composable) -> None:
        connection = psycopg2.connect(server)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    identifier = sql.Identifier(name)
    run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
    run(sql.SQL("CREATE DATABASE {}").format(identifier))
    return (
        urlunsplit(parts._replace(path="/" + name)),
        lambda: run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier)),
    )


def sqlite_scratch() -> tuple[str, Callable[[], None]]:
    directory = tempfile.mkdtemp(prefix="resettlement-bench-")
    return f"sqlite:///{directory}/bench.sqlite3", lambda: shutil.rmtree(directory, True)


def scratch_database(name: str) -> tuple[str, Callable[[], None]]:
    """PostgreSQL when DATABASE_URL names it, else a temporary SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return postgres_scratch(url, name)
    return sqlite_scratch()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, **extra: str) -> dict[str, str]:
    """Production-like: DEBUG off, no HTTPS redirect on plain loopback HTTP."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench._load_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, timeout: float = 60) -> Iterator[str]:
    """gunicorn serving the project on a free loopback port; yields its base URL once the
    trivial view answers. Stopped (TERM, then KILL) on exit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "resettlement.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--graceful-timeout",
        "5",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(process, base, log, timeout)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def nginx_path() -> str | None:
    """Debian's nginx (`apt-get install nginx`), or None."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream web {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # Which replica answered: the tests check that every one did.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@contextmanager
def nginx_proxy(bases: list[str], *, timeout: float = 30) -> Iterator[str]:
    """nginx on a free loopback port sending requests round-robin to `bases` (as
    deploy/nginx.conf does to the web replicas); yields its base URL. Needs Debian's nginx."""
    binary = nginx_path()
    if binary is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    servers = "\n".join(f"        server {urlsplit(b).netloc};" for b in bases)
    with tempfile.TemporaryDirectory(prefix="resettlement-proxy-") as directory:
        # nginx started as root runs its workers as nobody: they must reach their temp folders.
        os.chmod(directory, 0o755)  # noqa: S103
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.mkdir(os.path.join(directory, sub), 0o777)  # noqa: S103
            os.chmod(os.path.join(directory, sub), 0o777)  # noqa: S103
        conf = os.path.join(directory, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(NGINX_CONF.format(dir=directory, servers=servers, port=port))
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(  # noqa: S603 - our own configuration
                [binary, "-c", conf, "-p", directory], stdout=log, stderr=subprocess.STDOUT
            )
            try:
                _wait_until_serving(process, base, log, timeout)
                yield base
            finally:
                process.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextmanager
def replicas(env: dict[str, str], *, count: int, workers: int = 2) -> Iterator[str]:
    """`count` gunicorn servers (`workers` each, separate ports, one environment: the same
    database and Redis) behind nginx, as docker-compose.yml runs the web replicas; yields the
    proxy's base URL."""
    with ExitStack() as stack:
        bases = [stack.enter_context(gunicorn(env, workers=workers)) for _ in range(count)]
        yield stack.enter_context(nginx_proxy(bases))


def _wait_until_serving(process: subprocess.Popen, base: str, log, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + TRIVIAL, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError("gunicorn did not start:\n" + log.read().decode()[-3000:])
        time.sleep(0.2)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, *, connections: int, seconds: int, threads: int = 2) -> WrkResult:
    completed = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = completed.stdout
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p99_ms=float(p99.group(1)) * _UNITS_MS[p99.group(2)] if p99 else float("nan"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )
