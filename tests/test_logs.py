"""Structured logs: with LOG_FORMAT=json every line is a JSON object; each request writes one
access record with its request id, user, path, status and duration, and answers with the id
in X-Request-ID; a Celery task's records carry its task id."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from publicity.tasks import close_expired_publications
from resettlement.logs import ContextFilter

ROOT = Path(__file__).resolve().parent.parent

REQUEST_IN_A_FRESH_PROCESS = """
import django
django.setup()
from django.test import Client
response = Client().get("/healthz/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
print(response.status_code, response.headers["X-Request-ID"])
"""


def run_with_json_logs(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run `script` in a fresh interpreter with the production log format (LOG_FORMAT=json),
    logging as settings configure it; its log lines are in the result's stderr."""
    env = {
        **os.environ,
        "LOG_FORMAT": "json",
        "DJANGO_SETTINGS_MODULE": "resettlement.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
    }
    return subprocess.run(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_a_request_writes_one_json_access_line_with_its_id_user_path_status_and_duration(
    tmp_path,
):
    done = run_with_json_logs(REQUEST_IN_A_FRESH_PROCESS, tmp_path)
    assert done.stdout.split() == ["200", "lb-7f3a9c2e-0001"]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    access = [r for r in records if r["logger"] == "resettlement.access"]
    assert len(access) == 1
    (line,) = access
    assert line["message"] == "GET /healthz/ 200"
    assert line["request_id"] == "lb-7f3a9c2e-0001"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz/", 200)
    assert line["user_id"] is None
    assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"]


@pytest.fixture
def access_records(caplog):
    """Records as the configured handler sees them: with the request's or task's fields."""
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_a_staff_request_logs_the_user_and_a_fresh_id_it_sends_back(client, clerk, access_records):
    client.force_login(clerk)
    response = client.get(reverse("staff:home"))
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    (record,) = [r for r in access_records.records if r.name == "resettlement.access"]
    assert (record.request_id, record.user_id, record.path, record.status) == (
        request_id,
        clerk.pk,
        "/staff/",
        200,
    )


def test_a_query_string_is_never_logged(client, access_records):
    client.get("/public/my/?q=330102197001011234")
    access = [r for r in access_records.records if r.name == "resettlement.access"]
    assert [(r.getMessage(), r.path) for r in access] == [("GET /public/my/ 200", "/public/my/")]
    logged = "\n".join(r.getMessage() + str(vars(r)) for r in access_records.records)
    assert "330102197001011234" not in logged


@pytest.mark.parametrize("offered", ["short", "x" * 200, "evil\r\nSet-Cookie: a=b", "a b c d e f"])
def test_an_unusable_request_id_is_replaced(client, db, offered):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=offered)
    assert response.headers["X-Request-ID"] != offered
    assert len(response.headers["X-Request-ID"]) == 32


def test_records_logged_by_a_celery_task_carry_its_task_id(db, access_records):
    result = close_expired_publications.apply()
    (record,) = [r for r in access_records.records if r.name == "publicity.tasks"]
    assert record.getMessage() == "closed 0 publications whose period has ended"
    assert record.task_id == result.id
    assert record.task_name == "publicity.tasks.close_expired_publications"
    # Outside the task the fields are gone again.
    logging.getLogger("publicity.tasks").info("after")
    assert not hasattr(access_records.records[-1], "task_id")


def test_an_api_call_with_basic_authentication_logs_its_user(client, clerk, access_records):
    """The API authenticates inside the view (DRF), not in Django's middleware: the access
    record still names the user."""
    credentials = base64.b64encode(f"{clerk.username}:correct horse battery staple".encode())
    response = client.get("/api/households/", HTTP_AUTHORIZATION=f"Basic {credentials.decode()}")
    assert response.status_code == 200
    (record,) = [r for r in access_records.records if r.name == "resettlement.access"]
    assert (record.path, record.user_id) == ("/api/households/", clerk.pk)
