"""The real stack (DESIGN §4): docker-compose.yml runs nginx in front of three web (gunicorn)
replicas, Celery workers by queue and beat, PostgreSQL, Redis and MinIO, wired together by
service name. Docker is not available where the tests run, so these read the files the way
`docker compose` would (and deploy/nginx.conf the way nginx would), and load the settings
with the environment compose gives the application."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "worker-pdf", "beat")


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


def test_the_stack_has_web_workers_beat_db_redis_and_object_storage(services):
    assert {"web", "worker", "worker-pdf", "beat", "db", "redis", "minio", "minio-init"} <= set(
        services
    )


def test_web_serves_the_wsgi_application_with_gunicorn_on_port_8000(services):
    web = command(services["web"])
    assert web[0] == "gunicorn"
    assert "resettlement.wsgi:application" in web
    assert any(arg in ("--bind=0.0.0.0:8000", "0.0.0.0:8000") for arg in web)
    assert [str(port) for port in services["web"]["expose"]] == ["8000"]


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


def settings_under_compose(services, name: str, *names: str, **extra: str) -> dict:
    """The values of `names` in the settings module loaded with the environment compose gives
    service `name` (and `extra`), in a fresh interpreter: settings read the environment once."""
    env = {**os.environ, **environment(services[name]), **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = (
        "import json, sys; from resettlement import settings as s; "
        "print(json.dumps({n: getattr(s, n, None) for n in sys.argv[1:]}, default=str))"
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", script, *names],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_uploads_pdfs_and_backups_go_to_the_private_minio_bucket(services, name):
    storages = settings_under_compose(services, name, "STORAGES")["STORAGES"]
    for alias, prefix in (("default", "media"), ("backups", "backups")):
        assert storages[alias]["BACKEND"] == "storages.backends.s3.S3Storage"
        options = storages[alias]["OPTIONS"]
        assert options["endpoint_url"] == "http://minio:9000"
        assert options["bucket_name"] == "resettlement" and options["location"] == prefix
        assert options["default_acl"] == "private" and options["querystring_auth"] is True
    # No replica keeps files of its own: nothing but the bucket holds them.
    assert not services[name].get("volumes")
    assert services[name]["depends_on"]["minio-init"] == {
        "condition": "service_completed_successfully"
    }


def test_the_bucket_is_made_private_and_the_application_reaches_it_alone(compose, services):
    assert "minio_data" in named_volumes(services["minio"]) and "minio_data" in compose["volumes"]
    assert healthy_dependencies(services["minio-init"]) == {"minio"}
    script = "\n".join(command(services["minio-init"]))
    assert "mc mb --ignore-existing store/resettlement" in script
    assert "mc anonymous set none store/resettlement" in script
    assert 'mc admin policy attach store resettlement-app --user "$$S3_ACCESS_KEY"' in script
    policy = json.loads((ROOT / "deploy" / "minio-policy.json").read_text(encoding="utf-8"))
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert resources == {"arn:aws:s3:::resettlement", "arn:aws:s3:::resettlement/*"}
    # The application signs with its own user's keys, never the administrator's.
    env = services["web"]["environment"]
    assert "S3_ACCESS_KEY" in env["AWS_ACCESS_KEY_ID"]
    assert "MINIO_ROOT" not in json.dumps(env)


def test_sessions_cache_and_rate_limits_are_shared_by_every_replica(services):
    shared = settings_under_compose(
        services, "web", "SESSION_ENGINE", "CACHES", "RATELIMIT_USE_CACHE", "AXES_HANDLER"
    )
    # Sessions in PostgreSQL (Django's default engine), never a replica's memory or disk.
    assert shared["SESSION_ENGINE"] in (None, "django.contrib.sessions.backends.db")
    cache = shared["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert urlsplit(cache["LOCATION"]).hostname == "redis"
    # django-ratelimit counts in that cache; login failures (axes) are counted in PostgreSQL.
    assert shared["RATELIMIT_USE_CACHE"] in (None, "default")
    assert shared["AXES_HANDLER"] == "resettlement.lockout.AccountOrAddressHandler"


def test_behind_pgbouncer_querysets_iterate_without_server_side_cursors(services):
    direct = settings_under_compose(services, "web", "DATABASES")["DATABASES"]["default"]
    assert direct["DISABLE_SERVER_SIDE_CURSORS"] is False
    pooled = settings_under_compose(services, "web", "DATABASES", DATABASE_PGBOUNCER="1")
    assert pooled["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_web_runs_three_replicas_behind_the_proxy(services):
    assert services["web"]["deploy"]["replicas"] == 3
    assert "ports" not in services["web"] and "container_name" not in services["web"]
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    # Docker's DNS names every replica; nginx asks it again, so a new replica gets requests.
    assert re.search(r"^resolver 127\.0\.0\.11\b", text, re.M)
    assert re.search(r"upstream resettlement_web\s*\{[^}]*zone resettlement_web", text)


def test_celery_work_is_split_into_queues_each_with_its_worker_and_one_beat(services):
    from resettlement.celery import app

    consumed = {}
    for name, service in services.items():
        cmd = command(service) if "command" in service else []
        if cmd[:1] == ["celery"] and "worker" in cmd:
            assert not {"-B", "--beat"} & set(cmd), name  # beat never inside a worker
            (queues,) = [arg.split("=", 1)[1] for arg in cmd if arg.startswith("--queues=")]
            consumed[name] = set(queues.split(","))
    assert consumed == {"worker": {"default"}, "worker-pdf": {"pdf"}}
    app.loader.import_default_modules()
    project_tasks = [name for name in app.tasks if not name.startswith("celery.")]
    routed = {name: app.amqp.router.route({}, name)["queue"].name for name in project_tasks}
    assert routed["publicity.tasks.render_roster_part"] == "pdf"
    assert routed["publicity.tasks.render_notices_part"] == "pdf"
    assert routed["oversight.tasks.refresh_overdue_ledger"] == "default"
    # Every task lands on a queue some worker consumes.
    assert set(routed.values()) <= set().union(*consumed.values())
    assert services["beat"]["deploy"]["replicas"] == 1


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


# --- the reverse proxy ---------------------------------------------------------------------


def nginx_blocks(text: str) -> dict[str, str]:
    """deploy/nginx.conf's directives by block: "server:443" (the HTTPS server's own, outside
    its locations) and "location /path/" for each location in it."""
    text = re.sub(r"#.*", "", text)
    https = re.search(r"server\s*\{(?:(?!server\s*\{).)*listen 443.*", text, re.S).group(0)
    blocks = {}
    for match in re.finditer(r"location\s+(\S+)\s*\{([^}]*)\}", https):
        blocks[f"location {match.group(1)}"] = match.group(2)
    blocks["server:443"] = re.sub(r"location\s+\S+\s*\{[^}]*\}", "", https)
    return blocks


def directive(block: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", block, re.M)


def megabytes(value: str) -> int:
    assert value.endswith("m"), value
    return int(value[:-1]) * 1024 * 1024


@pytest.fixture(scope="module")
def nginx() -> dict[str, str]:
    return nginx_blocks((ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8"))


def test_only_the_proxy_is_published_and_gunicorn_is_not(services):
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert {str(port).split(":")[-1] for port in services["proxy"]["ports"]} == {"443", "80"}


def test_the_proxy_is_the_official_nginx_image_with_the_committed_configuration(services):
    proxy = services["proxy"]
    assert re.fullmatch(r"nginx:\d+\.\d+", proxy["image"])  # a pinned official image
    mounts = {interpolate(v).split(":")[1]: interpolate(v).split(":")[0] for v in proxy["volumes"]}
    assert mounts["/etc/nginx/conf.d/default.conf"] == "./deploy/nginx.conf"
    assert (ROOT / "deploy" / "nginx.conf").is_file()
    assert "/etc/nginx/certs" in mounts
    assert healthy_dependencies(proxy) == {"web"}


def test_the_proxy_passes_every_request_to_gunicorn_with_the_scheme_and_client(nginx):
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(r"upstream resettlement_web\s*\{[^}]*server web:8000[ ;]", text)
    for name, block in nginx.items():
        if name.startswith("location"):
            assert directive(block, "proxy_pass") == ["http://resettlement_web"], name
    headers = dict(h.split(None, 1) for h in directive(nginx["server:443"], "proxy_set_header"))
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["Host"] == "$host"
    assert re.search(r"listen 80;.*return 301 https://", text, re.S)  # plain HTTP redirects


def test_the_proxy_caps_request_bodies_as_django_does(nginx):
    from django.conf import settings

    from resettlement.public_site import one_attachment
    from settlement.services.defects import MAX_DEFECT_PHOTOS, defect_photo_limit

    form = settings.FORM_BODY_MAX_BYTES
    (everywhere,) = directive(nginx["server:443"], "client_max_body_size")
    assert megabytes(everywhere) == settings.UPLOAD_BODY_MAX_BYTES
    (public,) = directive(nginx["location /public/"], "client_max_body_size")
    assert one_attachment() + form <= megabytes(public) < megabytes(everywhere)
    (aftercare,) = directive(nginx["location /public/aftercare/"], "client_max_body_size")
    photos = MAX_DEFECT_PHOTOS * defect_photo_limit() + form
    assert photos <= megabytes(aftercare) <= megabytes(everywhere)


def test_django_believes_the_forwarded_headers_from_the_proxy_alone(compose, services):
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    (subnet,) = [c["subnet"] for c in compose["networks"]["default"]["ipam"]["config"]]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    for name in APP_SERVICES:
        env = environment(services[name])
        assert env["DJANGO_SECURE_PROXY_SSL_HEADER"] == "1"
        assert env["DJANGO_TRUSTED_PROXIES"].split(",") == [proxy_address, "127.0.0.1"]
