"""Printing a published roster through Celery: one part per community queued after commit,
safe to run twice, retried on failure; the staff page with its progress and downloads.

Tasks run eagerly here (tests/conftest.py); test_roster_worker.py runs a real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from publicity.models import Publication, PublicationStatus, RenderJob, RenderPart, RenderStatus
from publicity.pdf import rosters
from publicity.selectors import rendering
from publicity.services import publications
from publicity.services import rendering as publicity_rendering
from publicity.tasks import close_expired_publications, render_roster_part
from resettlement.celery import app
from resettlement.errors import NotAllowed, RuleViolation
from tests.pdf import pdf_pages, squeezed
from tests.publicity.factories import long_roster


def _start(actor, publication, capture, *, execute: bool = True) -> RenderJob:
    with capture(execute=execute):
        return publicity_rendering.roster_render_start(actor=actor, publication=publication)


def _files(media) -> list:
    return sorted(path for path in media.rglob("*.pdf"))


def test_a_clerk_prints_a_roster_as_one_pdf_per_community(
    roster, clerk, private_media, django_capture_on_commit_callbacks
):
    job = _start(clerk, roster, django_capture_on_commit_callbacks)
    parts = list(job.parts.order_by("label"))
    assert [part.label for part in parts] == ["东湖村", "西山社区"]
    assert [part.community.name for part in parts] == ["东湖村", "西山社区"]
    for part in parts:
        assert part.status == RenderStatus.DONE and part.pages == 1 and part.finished_at
        text = squeezed(pdf_pages(part.file.read())[0])
        assert part.label in text and roster.content_hash in text
    assert len(_files(private_media)) == 2
    assert rendering.roster_jobs(roster) == [job]


def test_nothing_is_rendered_before_the_job_is_committed(
    roster, clerk, private_media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = publicity_rendering.roster_render_start(actor=clerk, publication=roster)
    # The queueing waits for the commit (so does forgetting the public page's state again).
    assert len(callbacks) == 2
    assert {part.status for part in job.parts.all()} == {RenderStatus.QUEUED}
    assert _files(private_media) == []


def test_running_a_part_twice_renders_it_once_and_leaves_one_file(
    roster, clerk, private_media, django_capture_on_commit_callbacks
):
    job = _start(clerk, roster, django_capture_on_commit_callbacks)
    part = job.parts.first()
    finished = part.finished_at
    assert render_roster_part.delay(part.pk).get() == "skipped"
    part.refresh_from_db()
    assert (part.status, part.finished_at) == (RenderStatus.DONE, finished)
    assert len(_files(private_media)) == 2


def test_a_part_running_elsewhere_is_left_alone_until_its_worker_is_presumed_lost(
    roster, clerk, private_media, django_capture_on_commit_callbacks
):
    job = _start(clerk, roster, django_capture_on_commit_callbacks, execute=False)
    part = job.parts.first()
    RenderPart.objects.filter(pk=part.pk).update(
        status=RenderStatus.RUNNING, started_at=timezone.now()
    )
    # Busy: left to the worker holding it (through a broker, the task would look again when
    # that claim could turn stale: test_render_recovery.py).
    assert render_roster_part.delay(part.pk).get() == "busy"
    part.refresh_from_db()
    assert part.status == RenderStatus.RUNNING and not part.file
    lost = timezone.now() - publicity_rendering.stale_after() - dt.timedelta(seconds=1)
    RenderPart.objects.filter(pk=part.pk).update(started_at=lost)
    assert render_roster_part.delay(part.pk).get() == "rendered"
    part.refresh_from_db()
    assert part.status == RenderStatus.DONE and part.file


def test_a_failed_part_is_marked_failed_and_retried(
    roster, clerk, private_media, django_capture_on_commit_callbacks, monkeypatch
):
    real = rosters.roster_pdf
    monkeypatch.setattr(rosters, "roster_pdf", lambda *args: 1 / 0)
    with pytest.raises(Retry):  # the task asks Celery to run it again later
        _start(clerk, roster, django_capture_on_commit_callbacks)
    part = RenderPart.objects.get(label="东湖村")
    assert part.status == RenderStatus.FAILED and "division by zero" in part.error
    assert _files(private_media) == []
    monkeypatch.setattr(rosters, "roster_pdf", real)
    assert render_roster_part.delay(part.pk).get() == "rendered"  # the retry
    part.refresh_from_db()
    assert (part.status, part.error, part.pages) == (RenderStatus.DONE, "", 1)


def test_a_vanished_part_is_skipped_not_retried(db):
    assert render_roster_part.delay(987654).get() == "skipped"


def test_the_task_retries_with_backoff_and_is_acknowledged_late():
    task = app.tasks["publicity.tasks.render_roster_part"]
    assert task.acks_late and task.reject_on_worker_lost
    assert task.autoretry_for == (Exception,) and task.retry_backoff and task.max_retries


def test_a_draft_cannot_be_printed(approved_household, leader):
    draft = publications.publication_create(
        actor=leader, project=approved_household.project, kind="population"
    )
    with pytest.raises(RuleViolation) as error:
        publicity_rendering.roster_render_start(actor=leader, publication=draft)
    assert error.value.code == "not_published"
    assert not RenderJob.objects.exists()


def test_closed_and_withdrawn_rosters_can_be_printed(project, leader, private_media):
    closed = long_roster(project, leader, rows=2, status=PublicationStatus.CLOSED)
    withdrawn = long_roster(
        project,
        leader,
        rows=2,
        version=2,
        status=PublicationStatus.WITHDRAWN,
        withdrawn_reason="更正",
    )
    for publication in (closed, withdrawn):
        job = publicity_rendering.roster_render_start(actor=leader, publication=publication)
        assert job.parts.count() == 1


def test_someone_without_the_publicity_view_permission_cannot_print(roster, outsider):
    with pytest.raises(NotAllowed):
        publicity_rendering.roster_render_start(actor=outsider, publication=roster)


# --- worker settings and the daily close ------------------------------------------------------


def test_worker_settings_suit_weasyprint():
    assert django_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert django_settings.CELERY_TASK_ACKS_LATE is True
    assert django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert 0 < django_settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD <= 1_000_000
    assert django_settings.CELERY_TASK_SOFT_TIME_LIMIT < django_settings.CELERY_TASK_TIME_LIMIT


def test_beat_closes_expired_publications_daily(project, leader):
    entry = django_settings.CELERY_BEAT_SCHEDULE["close-expired-publications"]
    assert entry["task"] in app.tasks
    assert entry["schedule"].is_due(timezone.now() - dt.timedelta(days=1)).is_due
    expired = long_roster(project, leader, rows=1)  # period 2026-03-02 .. 2026-03-08
    assert close_expired_publications.delay().get() == (
        1 if expired.ends_on < timezone.localdate() else 0
    )
    expired.refresh_from_db()
    if expired.ends_on < timezone.localdate():
        assert expired.status == PublicationStatus.CLOSED


# --- staff pages ------------------------------------------------------------------------------


def test_a_clerk_starts_a_job_sees_progress_and_downloads_a_community_pdf(
    roster, clerk, client, private_media, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    page = reverse("publicity_pdf:jobs", args=[roster.pk])
    response = client.get(page)
    assert response.status_code == 200 and "生成PDF" in response.text
    assert 'id="no-jobs"' in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("publicity_pdf:start", args=[roster.pk]))
    assert response.status_code == 302 and response.url == page
    job = RenderJob.objects.get()
    response = client.get(page)
    assert '<progress max="2" value="2">' in response.text
    assert "2/2 份已完成" in response.text
    for part in job.parts.all():
        assert reverse("publicity_pdf:part-download", args=[part.pk]) in response.text
    part = job.parts.get(label="西山社区")
    response = client.get(reverse("publicity_pdf:part-download", args=[part.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    pdf = b"".join(response.streaming_content)
    assert "欧阳**" in squeezed(pdf_pages(pdf)[0])


def test_the_status_endpoint_reports_parts_done_out_of_all(
    roster, clerk, client, private_media, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    with django_capture_on_commit_callbacks() as callbacks:
        job = publicity_rendering.roster_render_start(actor=clerk, publication=roster)
    status = reverse("publicity_pdf:job-status", args=[job.pk])
    before = client.get(status).json()
    assert (before["done"], before["total"], before["finished"]) == (0, 2, False)
    assert [p["download"] for p in before["parts"]] == [None, None]
    page = client.get(reverse("publicity_pdf:jobs", args=[roster.pk])).text
    assert 'data-finished="0"' in page and status in page  # the page polls this endpoint
    render_roster_part.delay(job.parts.get(label="东湖村").pk)
    middle = client.get(status).json()
    assert (middle["done"], middle["total"], middle["percent"]) == (1, 2, 50)
    for callback in callbacks:
        callback()
    after = client.get(status).json()
    assert (after["done"], after["total"], after["finished"]) == (2, 2, True)
    assert all(p["download"] and p["status"] == "done" for p in after["parts"])


def test_a_draft_shows_no_print_button_and_a_post_is_refused(
    approved_household, leader, client, private_media
):
    draft = publications.publication_create(
        actor=leader, project=approved_household.project, kind="population"
    )
    client.force_login(leader)
    assert 'id="start-pdf"' not in client.get(reverse("publicity_pdf:jobs", args=[draft.pk])).text
    response = client.post(reverse("publicity_pdf:start", args=[draft.pk]), follow=True)
    assert "只有已发布的公示可以生成PDF。" in response.text
    assert not RenderJob.objects.exists()


def test_outsiders_are_refused_and_visitors_sent_to_log_in(
    roster, clerk, outsider, client, private_media, django_capture_on_commit_callbacks
):
    job = _start(clerk, roster, django_capture_on_commit_callbacks)
    part = job.parts.first()
    urls = [
        reverse("publicity_pdf:jobs", args=[roster.pk]),
        reverse("publicity_pdf:job-status", args=[job.pk]),
        reverse("publicity_pdf:part-download", args=[part.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    assert client.post(reverse("publicity_pdf:start", args=[roster.pk])).status_code == 302
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(reverse("publicity_pdf:start", args=[roster.pk])).status_code == 403
    assert RenderJob.objects.count() == 1


def test_an_unfinished_part_cannot_be_downloaded(
    roster, clerk, client, private_media, django_capture_on_commit_callbacks
):
    job = _start(clerk, roster, django_capture_on_commit_callbacks, execute=False)
    client.force_login(clerk)
    part = job.parts.first()
    assert client.get(reverse("publicity_pdf:part-download", args=[part.pk])).status_code == 404


def test_the_notice_board_copy_and_the_public_page_show_the_same_hash(
    roster, clerk, client, private_media, django_capture_on_commit_callbacks
):
    _start(clerk, roster, django_capture_on_commit_callbacks)
    page = client.get(reverse("public:publication-detail", args=[roster.pk]))
    assert page.status_code == 200 and roster.content_hash in page.text
    part = RenderPart.objects.get(label="东湖村")
    link = reverse("public:roster-part", args=[roster.pk, part.pk])
    assert link in page.text
    pdf = b"".join(client.get(link).streaming_content)
    for text in pdf_pages(pdf):
        assert roster.content_hash in squeezed(text)
    assert Publication.objects.get(pk=roster.pk).content_hash == roster.content_hash
