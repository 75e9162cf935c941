"""A roster printed by a real Celery worker through Redis, not eagerly: the job is queued on
commit, the worker renders each community's part, a second delivery renders nothing, and
the status endpoint reports every part done.

The broker is TEST_CELERY_BROKER_URL (default Redis database 6 on 127.0.0.1), on a queue of
this test's own, so stale messages from elsewhere are never consumed. Without Redis the
test is skipped, unless REDIS_URL is set (as in CI), where it must run.
"""

from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from django.urls import reverse

from publicity.models import RenderStatus
from publicity.services import rendering
from publicity.tasks import render_roster_part
from resettlement.celery import app as project_app
from tests.pdf import pdf_pages, squeezed
from tests.publicity.factories import clear_publications_before_flush

BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")

pytestmark = [
    pytest.mark.real_celery,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def flushable_database():
    yield
    clear_publications_before_flush()


def _close_connections(**kwargs) -> None:
    # The worker thread's own database connections, closed after each task so the test
    # database can be flushed and dropped.
    connections.close_all()


@contextmanager
def real_worker():
    """A Celery app like the project's (configured from Django settings, not eager) but
    with its own broker and queue, and a worker consuming it in a thread."""
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("REDIS_URL"):
            raise
        pytest.skip(f"no Redis at {BROKER}: {exc}")
    app = Celery("resettlement-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    queue = f"roster-test-{uuid.uuid4().hex[:12]}"
    app.conf.update(
        broker_url=BROKER,
        result_backend=BROKER,
        task_default_queue=queue,
        task_routes={},  # the PDF tasks too: no shared `pdf` queue in a test
        task_always_eager=False,
        worker_hijack_root_logger=False,
    )
    task_postrun.connect(_close_connections)
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=60):
            yield app
    finally:
        task_postrun.disconnect(_close_connections)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
        app.close()
        project_app.set_current()
        project_app.set_default()


def _wait_until_done(job, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = set(job.parts.values_list("status", flat=True))
        if statuses == {RenderStatus.DONE}:
            return
        assert RenderStatus.FAILED not in statuses, list(job.parts.values("label", "error"))
        time.sleep(0.2)
    raise AssertionError(f"parts not rendered in {timeout} s: {statuses}")


def test_a_real_worker_renders_the_roster_through_redis(roster, clerk, client, private_media):
    with real_worker():
        job = rendering.roster_render_start(actor=clerk, publication=roster)  # commits
        _wait_until_done(job)
        parts = list(job.parts.order_by("label"))
        for part in parts:
            text = squeezed(pdf_pages(part.file.read())[0])
            assert part.label in text and roster.content_hash in text
        files = sorted(private_media.rglob("*.pdf"))
        assert len(files) == 2

        # Delivered again (acks_late makes that possible): the done part is not redone.
        assert render_roster_part.delay(parts[0].pk).get(timeout=60) == "skipped"
        assert sorted(private_media.rglob("*.pdf")) == files

    client.force_login(clerk)
    status = client.get(reverse("publicity_pdf:job-status", args=[job.pk])).json()
    assert (status["done"], status["total"], status["finished"]) == (2, 2, True)
