"""/healthz/: what a load balancer and the docker-compose health checks see."""

from __future__ import annotations

import os

import pytest

# CI and the development machines run Redis here (DESIGN §4); CI exports REDIS_URL.
RUNNING_REDIS = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def test_healthy_without_a_broker_tasks_run_eagerly(client, db, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "eager"}}


def test_healthy_with_a_reachable_broker(client, db, settings):
    settings.REDIS_URL = RUNNING_REDIS

    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_unhealthy_when_the_broker_is_unreachable(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error: ")


def test_health_is_never_cached(client, db, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz/")

    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_health_only_answers_get(client, db, method):
    assert getattr(client, method)("/healthz/").status_code == 405
