"""A lost PDF worker (issue 11, finding 8): a part whose worker keeps touching it is never
taken over, however long it renders; one whose worker went silent is taken over after
RENDER_STALE_SECONDS and rendered once more, leaving one file; the production settings re-run
a lost part within two minutes. test_render_worker_killed.py kills a real worker."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from publicity.models import RenderJob, RenderPart, RenderStatus
from publicity.pdf import rosters
from publicity.services import rendering
from publicity.tasks import render_roster_part
from resettlement.celery import app
from tests.publicity.factories import clear_publications_before_flush


@pytest.fixture
def queued_part(roster, clerk):
    """A part of a roster job, queued and not yet rendered (no task sent for it)."""
    job = RenderJob.objects.create(
        kind=RenderJob.Kind.ROSTER, project=roster.project, publication=roster, created_by=clerk
    )
    return RenderPart.objects.create(job=job, label="东湖村")


def _running(part, *, claimed_ago: dt.timedelta, touched_ago: dt.timedelta, file: str = ""):
    now = timezone.now()
    RenderPart.objects.filter(pk=part.pk).update(
        status=RenderStatus.RUNNING,
        started_at=now - claimed_ago,
        heartbeat_at=now - touched_ago,
        attempts=1,
        file=file,
    )


@pytest.mark.django_db
def test_a_long_render_whose_worker_keeps_touching_it_is_not_taken_over(queued_part):
    _running(queued_part, claimed_ago=dt.timedelta(minutes=8), touched_ago=dt.timedelta(0))
    assert render_roster_part.delay(queued_part.pk).get() == "busy"
    queued_part.refresh_from_db()
    assert (queued_part.status, queued_part.attempts) == (RenderStatus.RUNNING, 1)


@pytest.mark.django_db
def test_a_part_whose_worker_went_silent_is_taken_over_and_its_file_replaced(
    queued_part,
    private_media,
):
    # The lost attempt had recorded its file and written it (half of it) when it died.
    lost_file = f"pdf/{queued_part.job.project_id}/{queued_part.job_id}/lost-attempt.pdf"
    (private_media / lost_file).parent.mkdir(parents=True)
    (private_media / lost_file).write_bytes(b"%PDF-1.7 half a fi")
    silent = rendering.stale_after() + dt.timedelta(seconds=1)
    _running(queued_part, claimed_ago=silent, touched_ago=silent, file=lost_file)

    assert render_roster_part.delay(queued_part.pk).get() == "rendered"

    queued_part.refresh_from_db()
    assert queued_part.status == RenderStatus.DONE and queued_part.attempts == 2
    assert queued_part.file.name != lost_file
    assert (private_media / queued_part.file.name).read_bytes().startswith(b"%PDF")
    assert sorted(
        p.relative_to(private_media).as_posix() for p in private_media.rglob("*.pdf")
    ) == [queued_part.file.name]


@pytest.mark.django_db
def test_a_claim_older_than_any_task_may_run_is_taken_over_even_if_touched(queued_part):
    longest = rendering.longest_run() + dt.timedelta(seconds=1)
    _running(queued_part, claimed_ago=longest, touched_ago=dt.timedelta(0))
    assert render_roster_part.delay(queued_part.pk).get() == "rendered"


@pytest.mark.django_db
def test_a_busy_part_is_looked_at_again_when_its_claim_could_turn_stale(queued_part):
    stale = rendering.stale_after().total_seconds()
    _running(queued_part, claimed_ago=dt.timedelta(minutes=3), touched_ago=dt.timedelta(0))
    assert stale < rendering.busy_countdown(queued_part.pk) <= stale + 1
    _running(queued_part, claimed_ago=dt.timedelta(minutes=3), touched_ago=dt.timedelta(seconds=30))
    assert stale - 30 < rendering.busy_countdown(queued_part.pk) <= stale - 29


@pytest.mark.django_db(transaction=True)
def test_the_worker_touches_its_part_while_it_renders(
    queued_part,
    settings,
    monkeypatch,
    private_media,
):
    """The touches come from a thread of the rendering process, on its own connection."""
    settings.RENDER_HEARTBEAT_SECONDS = 0.1
    seen: list = []
    real = rosters.roster_pdf

    def slow_render(*args):
        claimed = RenderPart.objects.get(pk=queued_part.pk).heartbeat_at
        time.sleep(0.6)
        seen.append((claimed, RenderPart.objects.get(pk=queued_part.pk).heartbeat_at))
        return real(*args)

    monkeypatch.setattr(rosters, "roster_pdf", slow_render)
    try:
        assert rendering.roster_part_render(part_id=queued_part.pk) is rendering.Outcome.RENDERED
        [(claimed, later)] = seen
        assert later > claimed  # touched while rendering
    finally:
        clear_publications_before_flush()


# -- the production settings ----------------------------------------------------------------


def test_a_lost_part_is_rerun_within_two_minutes_with_the_production_settings():
    options = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    # The message comes back once it is visibility_timeout old, found by the next sweep.
    redelivered = options["visibility_timeout"] + (
        options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    )
    # The part can be taken over once its last touch is RENDER_STALE_SECONDS old; a delivery
    # that comes earlier looks again then (busy_countdown: at most stale + 1).
    taken_over = django_settings.RENDER_STALE_SECONDS + 1
    assert max(redelivered, taken_over) <= 110  # with a few seconds to spare for start-up
    # A touch may be missed (a slow database) without the part being taken for lost.
    assert django_settings.RENDER_STALE_SECONDS >= 3 * django_settings.RENDER_HEARTBEAT_SECONDS
    # The time limit still bounds a part: a claim older than it is lost whatever beats.
    assert rendering.longest_run().total_seconds() > django_settings.CELERY_TASK_TIME_LIMIT


def test_no_task_waits_as_long_as_the_visibility_timeout():
    """A message a worker holds back longer than the visibility timeout (a countdown, a retry
    backoff) would be delivered to a second worker."""
    app.loader.import_default_modules()
    timeout = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    # Tasks that retry: automatically, or (the notices renderer) by calling retry themselves.
    retrying = [
        task
        for name, task in app.tasks.items()
        if getattr(task, "autoretry_for", ()) or name == "publicity.tasks.render_notices_part"
    ]
    assert {task.name for task in retrying} >= {
        "publicity.tasks.render_roster_part",
        "publicity.tasks.render_notices_part",
        "oversight.tasks.refresh_overdue_ledger",
        "resettlement.tasks.publish_audit_head",
    }
    for task in retrying:
        if getattr(task, "retry_backoff", False):
            assert task.retry_backoff_max < timeout, task.name
        else:
            assert task.default_retry_delay < timeout, task.name
    assert rendering.stale_after().total_seconds() + 1 < timeout  # busy_countdown's longest
