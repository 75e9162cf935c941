"""The real stack (DESIGN §4): docker-compose.yml runs web (gunicorn), a Celery worker and beat,
PostgreSQL and Redis, wired together by service name. Docker is not available where the
tests run, so these read the files the way `docker compose` would."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} → default and ${VAR:?message} → a placeholder."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{\w+:\?[^}]*\}", "from-env", value)


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load understands the anchors and `<<:` merge keys the file uses.
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command(service: dict) -> list[str]:
    cmd = service["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: interpolate(str(value)) for key, value in env.items()}


def healthy_dependencies(service: dict) -> set[str]:
    depends = service.get("depends_on") or {}
    return {
        name
        for name, condition in depends.items()
        if isinstance(condition, dict) and condition.get("condition") == "service_healthy"
    }


def named_volumes(service: dict) -> list[str]:
    """Volume sources that are named volumes, not host paths."""
    sources = []
    for volume in service.get("volumes") or []:
        source = volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]
        if not source.startswith((".", "/", "~")):
            sources.append(source)
    return sources


def test_the_stack_has_web_worker_beat_db_and_redis(services):
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)


def test_web_serves_the_wsgi_application_with_gunicorn_on_port_8000(services):
    web = command(services["web"])
    assert web[0] == "gunicorn"
    assert "resettlement.wsgi:application" in web
    assert any(arg in ("--bind=0.0.0.0:8000", "0.0.0.0:8000") for arg in web)
    assert any(str(port).endswith("8000") for port in services["web"]["ports"])


def test_worker_runs_a_celery_worker_for_the_project_app(services):
    worker = command(services["worker"])
    assert worker[0] == "celery"
    assert "worker" in worker
    assert "--app=resettlement" in worker or worker[1:3] == ["-A", "resettlement"]


def test_beat_runs_celery_beat_for_the_project_app(services):
    beat = command(services["beat"])
    assert beat[0] == "celery"
    assert "beat" in beat
    assert "--app=resettlement" in beat or beat[1:3] == ["-A", "resettlement"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_reach_postgres_on_the_db_service(services, name):
    url = urlsplit(environment(services[name])["DATABASE_URL"])
    assert url.scheme in ("postgres", "postgresql")
    assert url.hostname == "db"
    assert url.port == 5432
    assert url.path == "/" + services["db"]["environment"]["POSTGRES_DB"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_reach_redis_on_the_redis_service(services, name):
    url = urlsplit(environment(services[name])["REDIS_URL"])
    assert url.scheme == "redis"
    assert url.hostname == "redis"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_without_debug_and_with_a_secret_key_from_the_environment(services, name):
    env = services[name]["environment"]
    assert env["DJANGO_DEBUG"] == "0"  # the string "0", which settings read as False
    # The key has no default in the file: compose refuses to start without one.
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?[^}]+\}", env["DJANGO_SECRET_KEY"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_db_and_redis(services, name):
    assert {"db", "redis"} <= healthy_dependencies(services[name])


def test_web_waits_for_the_migrations_to_finish(services):
    assert services["web"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert "migrate" in " ".join(command(services["migrate"]))


@pytest.mark.parametrize("name", ["db", "redis"])
def test_db_and_redis_have_health_checks(services, name):
    test = services[name]["healthcheck"]["test"]
    probe = " ".join(test) if isinstance(test, list) else test
    assert ("pg_isready" if name == "db" else "redis-cli") in probe


@pytest.mark.parametrize(
    ("name", "data_dir"), [("db", "/var/lib/postgresql/data"), ("redis", "/data")]
)
def test_db_and_redis_keep_their_data_in_named_volumes(compose, services, name, data_dir):
    volumes = services[name]["volumes"]
    mounted = {v.split(":", 1)[1]: v.split(":", 1)[0] for v in volumes}
    assert data_dir in mounted
    assert mounted[data_dir] in named_volumes(services[name])
    assert mounted[data_dir] in compose["volumes"]


def test_uploaded_documents_survive_a_rebuild_in_a_named_volume(compose, services):
    for name in APP_SERVICES:
        media_root = environment(services[name])["PRIVATE_MEDIA_ROOT"]
        assert any(
            v.split(":")[1] == media_root and v.split(":")[0] in compose["volumes"]
            for v in services[name]["volumes"]
        )


def test_the_web_health_check_calls_a_url_the_app_serves(services):
    probe = services["web"]["healthcheck"]["test"]
    url = next(part for part in probe if part.startswith("http"))
    assert resolve(urlsplit(url).path).url_name == "healthz"


def test_the_dockerfile_builds_on_python_311_and_has_curl_for_the_health_check():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11", dockerfile, re.MULTILINE)
    assert "curl" in dockerfile
    assert "uv sync --frozen" in dockerfile
    assert re.search(r"^USER (?!root)\S+", dockerfile, re.MULTILINE)  # not run as root


def test_the_image_has_pg_dump_and_pg_restore_for_backups():
    # manage.py backup / restore run pg_dump and pg_restore (docs/operations.md); Debian
    # bookworm's client is PostgreSQL 15, the version of the db service.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "postgresql-client" in dockerfile
    assert "slim-bookworm" in dockerfile and "image: postgres:15" in compose


def test_the_example_environment_names_every_variable_compose_requires(compose):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    defined = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    assert required <= defined
