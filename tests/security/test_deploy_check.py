"""`manage.py check --deploy` under the production environment variables the README lists:
no warnings at all; with the embedded development key, the placeholder key of
`.env.example`, no Redis or a trusted proxy header without a named proxy it fails (so the
check is real)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_environment(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SESSION_", "RECENT_AUTH"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "anzhi.example.gov.cn",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://anzhi.example.gov.cn",
            "DATABASE_URL": "postgres://resettlement:secret@db.internal:5432/resettlement",
            "REDIS_URL": "redis://redis.internal:6379/0",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
            "DJANGO_TRUSTED_PROXIES": "172.30.0.10",
            "PUBLIC_BASE_URL": "https://anzhi.example.gov.cn",
        }
    )
    env.update(overrides)
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    # --fail-level WARNING: a warning fails the command, not just an error.
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def production_check() -> subprocess.CompletedProcess:
    return deploy_check(production_environment())


def test_the_deploy_check_passes_without_a_single_warning_in_production(production_check):
    output = production_check.stdout + production_check.stderr
    assert production_check.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output


REMOVED = None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"DJANGO_SECRET_KEY": REMOVED}, "security.W009"),
        ({"DJANGO_DEBUG": "1"}, "security.W018"),
        ({"REDIS_URL": REMOVED}, "resettlement.E002"),
        ({"DJANGO_TRUSTED_PROXIES": REMOVED}, "resettlement.E003"),
        ({"IMPORT_MAX_BYTES": str(100 * 1024 * 1024)}, "resettlement.E004"),
    ],
    ids=[
        "the embedded development key",
        "debug left on",
        "production without redis",
        "a trusted proxy header without a named proxy",
        "an upload limit below the imports it must carry",
    ],
)
def test_the_deploy_check_rejects(change: dict, code: str):
    env = production_environment()
    for name, value in change.items():
        if value is REMOVED:
            del env[name]
        else:
            env[name] = value
    result = deploy_check(env)
    assert result.returncode != 0
    assert code in result.stdout + result.stderr


def example_value(name: str) -> str:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith(f"{name}="))


def test_the_deploy_check_rejects_the_placeholder_key_of_the_example_environment():
    placeholder = example_value("DJANGO_SECRET_KEY")
    result = deploy_check(production_environment(DJANGO_SECRET_KEY=placeholder))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "resettlement.E001" in output and ".env.example" in output
    assert "security.W009" not in output  # long and varied: Django's own check lets it pass
