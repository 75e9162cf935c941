"""A Celery worker killed with SIGKILL mid-part (issue 11, finding 8): its part is rendered
again, once, by the next worker; the job completes; the file the killed worker had written is
gone and every part has exactly one file.

Real workers (`celery worker`, prefork, as deployed) in processes of their own, through
Redis, on the test database: PostgreSQL only (CI), as the workers cannot share the test's
SQLite. The thresholds are shortened (tests/publicity/worker_settings.py: heartbeat 1 s, stale
after 3 s, Redis visibility timeout 5 s), so the test takes about half a minute; the
production values re-run a lost part within two minutes (test_render_recovery.py).

The broker is TEST_CELERY_BROKER_URL (default Redis database 6 on 127.0.0.1), under a key
prefix and on a queue of this test's own. Without Redis the test is skipped, unless
REDIS_URL is set (as in CI), where it must run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from publicity.models import RenderPart, RenderStatus
from publicity.services import rendering
from resettlement.celery import app
from tests.publicity import worker_settings
from tests.publicity.factories import clear_publications_before_flush

BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/6")

pytestmark = [
    pytest.mark.real_celery,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="workers in other processes share the test database only on PostgreSQL (CI)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def flushable_database():
    yield
    clear_publications_before_flush()


def _database_url() -> str:
    """The test database, for the workers."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    where = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{where}/{db['NAME']}"


class Workers:
    """Start and kill `celery worker` processes on the test's queue; their logs for failures."""

    def __init__(self, media: Path, queue: str, prefix: str) -> None:
        self.media, self.queue, self.prefix = media, queue, prefix
        self.started: list[tuple[subprocess.Popen, object]] = []

    def start(self, name: str, **env: str) -> subprocess.Popen:
        node = f"{name}-{self.queue}@test"
        command = [sys.executable, "-m", "tests.publicity.killable_worker", "--app=resettlement"]
        command += ["worker", "--concurrency=1", "--pool=prefork", f"--queues={self.queue}"]
        command += [f"--hostname={node}", "--without-mingle", "--without-gossip"]
        command += ["--loglevel=INFO"]
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.publicity.worker_settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": BROKER,
            "PRIVATE_MEDIA_ROOT": str(self.media),
            "RECOVERY_TEST_QUEUE": self.queue,
            "RECOVERY_TEST_PREFIX": self.prefix,
            **env,
        }
        log = tempfile.TemporaryFile()  # noqa: SIM115 - kept until stop_all closes it
        worker = subprocess.Popen(  # noqa: S603 - our own command line
            command,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=django_settings.BASE_DIR,
        )
        self.started.append((worker, log))
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {name} did not start:\n{self.logs()}")
        return worker

    def logs(self) -> str:
        texts = []
        for worker, log in self.started:
            log.seek(0)
            texts.append(f"--- worker pid {worker.pid} ---\n{log.read().decode(errors='replace')}")
        return "\n".join(texts)

    def stop_all(self) -> None:
        for worker, log in self.started:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            log.close()


@pytest.fixture
def workers(private_media):
    """The project's Celery app sends to this test's queue under its key prefix, as the web
    process would; the workers consume it. Everything under the prefix is deleted after."""
    client = redis.Redis.from_url(BROKER, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("REDIS_URL"):
            raise
        pytest.skip(f"no Redis at {BROKER}: {exc}")
    queue = f"render-killed-{uuid.uuid4().hex[:12]}"
    prefix = f"{queue}:"
    sending = worker_settings.recovery_settings(queue=queue, prefix=prefix)
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "broker_transport_options", "task_default_queue", "task_routes")
    }
    app.conf.update(
        broker_url=BROKER,
        broker_transport_options=sending["CELERY_BROKER_TRANSPORT_OPTIONS"],
        task_default_queue=queue,
        task_routes=sending["CELERY_TASK_ROUTES"],
    )
    app._after_fork()  # forget pooled broker connections made with other settings
    started = Workers(private_media, queue, prefix)
    try:
        yield started
    finally:
        started.stop_all()
        app.conf.update(saved)
        app._after_fork()
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def _wait_for(condition: Callable[[], object], timeout: float, what: str, logs: Callable):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout} s:\n{logs()}")


def _pdfs(media: Path) -> list[str]:
    return sorted(path.relative_to(media).as_posix() for path in media.rglob("*.pdf"))


def test_a_part_of_a_killed_worker_is_rendered_again_once_and_leaves_one_file(
    roster,
    clerk,
    private_media,
    workers,
):
    # The first worker holds each file it has written before marking the part done.
    first = workers.start("first", HOLD_AFTER_WRITE_SECONDS="120")
    job = rendering.roster_render_start(actor=clerk, publication=roster)  # commits, queues 2

    def written_not_done():
        files = _pdfs(private_media)
        if files and not job.parts.filter(status=RenderStatus.DONE).exists():
            return files
        return None

    [lost_file] = _wait_for(
        written_not_done, 60, "a file written by the first worker", workers.logs
    )
    lost = job.parts.get(status=RenderStatus.RUNNING)  # one pool process: one part at a time
    first.send_signal(signal.SIGKILL)  # the main process; its pool process dies with it
    first.wait(10)
    killed_at = time.monotonic()
    assert (private_media / lost_file).is_file()  # what the killed worker left behind

    workers.start("second")

    def all_done():
        return set(job.parts.values_list("status", flat=True)) == {RenderStatus.DONE}

    _wait_for(all_done, 60, "every part done after the kill", workers.logs)
    rerun_within = time.monotonic() - killed_at
    # Long enough for another redelivery or takeover to show, if there were one.
    time.sleep(worker_settings.VISIBILITY_TIMEOUT + worker_settings.RENDER_STALE_SECONDS + 2)

    parts = {part.pk: part for part in RenderPart.objects.filter(job=job)}
    assert parts[lost.pk].attempts == 2, workers.logs()  # the killed attempt and one re-run
    assert [p.attempts for pk, p in parts.items() if pk != lost.pk] == [1]
    assert all(p.status == RenderStatus.DONE and p.pages == 1 for p in parts.values())
    # One file per part, the one recorded; the killed attempt's file is gone.
    assert _pdfs(private_media) == sorted(p.file.name for p in parts.values())
    assert lost_file not in _pdfs(private_media)
    for part in parts.values():
        assert (private_media / part.file.name).read_bytes().startswith(b"%PDF")
    # Redelivery after the visibility timeout, takeover after the stale threshold, plus the
    # second worker's start: seconds with these settings (production: test_render_recovery).
    assert rerun_within < 45, f"re-run only after {rerun_within:.0f} s"
