"""Printing a published roster for the notice boards: one PDF per community, by Celery.

`roster_render_start` creates a RenderJob with one RenderPart per community in the frozen
snapshot and queues one task per part after commit, so several workers render a roster in
parallel. A task claims its part with a conditional UPDATE and renders only if it got it: a
task delivered twice renders once and leaves one file. Progress is the share of parts done.

A worker can be lost mid-part (killed, out of memory, the machine gone): its message comes
back from the broker (acks_late; Redis redelivers it after the visibility timeout), and the
part may be taken over once its claim is stale. While a worker renders a part it touches the
part every RENDER_HEARTBEAT_SECONDS from a thread of its own (`heartbeat_at`); a part whose
last touch is older than RENDER_STALE_SECONDS — or that was claimed longer ago than any task
may run — was lost with its worker. So a long render is never taken over, and a lost one is
re-run within two minutes (docs/operations.md, "PDF workers"). The file of an attempt is
recorded on the part before it is written and marked done only by the claim's holder; whoever
takes a part over first removes the file a lost attempt may have left.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.access import projects_q
from households.models import Community
from publicity import page_cache
from publicity.models import Publication, PublicationStatus, RenderJob, RenderPart, RenderStatus
from publicity.pdf import rosters as pdf_rosters
from resettlement import periods
from resettlement.errors import RuleViolation
from resettlement.pdf import document_language
from resettlement.roles import require_permission

logger = logging.getLogger(__name__)

# Printing a public roster needs no more than reading it: the clerks post the sheets.
PERMISSION = "publicity.view_publication"
PRINTABLE = (PublicationStatus.PUBLISHED, PublicationStatus.CLOSED, PublicationStatus.WITHDRAWN)


# The Celery task rendering a part of each kind of job (publicity/tasks.py). The tasks call
# these services, so the services name the tasks rather than import them (no import cycle);
# PublicityConfig.ready imports the task module, so every process has them registered. They
# are looked up in the current Celery app, as `shared_task` does.
RENDER_TASKS = {
    RenderJob.Kind.ROSTER: "publicity.tasks.render_roster_part",
    RenderJob.Kind.NOTICES: "publicity.tasks.render_notices_part",
}


def parts_queue(kind: str, part_ids: list[int]) -> None:
    """Queue one render task per part, once the caller's transaction commits."""
    task = current_app.tasks[RENDER_TASKS[kind]]
    transaction.on_commit(lambda: [task.delay(pk) for pk in part_ids])


def stale_after() -> dt.timedelta:
    """A running part whose worker has not touched it for this long was lost with its worker
    (the worker touches it every RENDER_HEARTBEAT_SECONDS while it renders)."""
    return dt.timedelta(seconds=settings.RENDER_STALE_SECONDS)


def longest_run() -> dt.timedelta:
    """No claim is older than this while its task still runs: the pool kills a task at
    CELERY_TASK_TIME_LIMIT (its heartbeat dies with it), plus the time that takes to show."""
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + stale_after()


def roster_options(publication: Publication, options: dict | None = None) -> dict:
    """Who issues a printed roster and where to object (issuer, office, contact, issued_on),
    and the language it is printed in (language: Chinese unless another of the site's
    languages is asked for), as the staff give them; by default the project's resettlement
    leading group, the community resettlement office (as on a publicity notice,
    services.notices), named in the printed language, no phone, on the day the roster was
    published. Refused (RuleViolation naming the field) when a date is not one."""
    given = {
        key: " ".join(str(value or "").split())[:200] for key, value in (options or {}).items()
    }
    published = (
        periods.local_date(publication.published_at).isoformat()
        if publication.published_at
        else periods.today().isoformat()
    )
    issued_on = given.get("issued_on") or published
    try:
        issued_on = dt.date.fromisoformat(issued_on).isoformat()
    except ValueError:
        message = _("日期格式应为 年-月-日。")
        raise RuleViolation(
            "invalid_options", message, details=[{"field": "issued_on", "message": message}]
        ) from None
    language = document_language(given.get("language"))

    def defaults(code: str) -> dict[str, str]:
        with translation.override(code):
            return {
                "issuer": _("%(project)s安置工作领导小组") % {"project": publication.project.name},
                "office": _("社区安置工作办公室"),
            }

    # The print form is filled with the Chinese defaults: left as they are, an English copy
    # names the same bodies in English.
    chinese, printed = defaults(settings.LANGUAGE_CODE), defaults(language)
    named = {
        key: printed[key] if given.get(key, "") in ("", chinese[key]) else given[key]
        for key in ("issuer", "office")
    }
    return {
        **named,
        "contact": given.get("contact", ""),
        "issued_on": issued_on,
        "language": language,
    }


@transaction.atomic
def roster_render_start(
    *, actor, publication: Publication, options: dict | None = None
) -> RenderJob:
    """Start printing a public roster: one part per community, rendered by Celery after
    commit. `options` (issuer, office, contact, issued_on, language) say who issues it,
    where to object and the printed language; what is not given takes the defaults
    (roster_options)."""
    require_permission(actor, PERMISSION)
    publication = Publication.objects.select_related("project", "community").get(pk=publication.pk)
    if publication.status not in PRINTABLE:
        raise RuleViolation("not_published", _("只有已发布的公示可以生成PDF。"))
    printed = roster_options(publication, options)
    communities = pdf_rosters.roster_communities(publication)
    if not communities:
        raise RuleViolation("empty", _("该公示没有内容,无需生成PDF。"))
    by_name: dict[str, list[Community]] = {}
    for community in Community.objects.filter(project=publication.project_id):
        by_name.setdefault(community.name, []).append(community)
    job = RenderJob.objects.create(
        kind=RenderJob.Kind.ROSTER,
        project=publication.project,
        publication=publication,
        options=printed,
        created_by=actor,
    )
    parts = RenderPart.objects.bulk_create(
        RenderPart(
            job=job,
            label=name[:100],
            # Rows name their community; link it when the name is unambiguous.
            community=by_name[name][0] if len(by_name.get(name, ())) == 1 else None,
        )
        for name in communities
    )
    parts_queue(RenderJob.Kind.ROSTER, [part.pk for part in parts])
    # The public page offers the newest print run's parts only: the old run's go now.
    page_cache.forget([publication.pk])
    return job


def part_claim(part_id: int, kind: str) -> dt.datetime | None:
    """Take a part of a job of `kind` for rendering: queued or failed, or running but lost
    (no heartbeat for `stale_after()`, or claimed longer ago than `longest_run()`). Returns
    the claim's time (the part's started_at, which identifies this attempt), or None when the
    part is done, running on a live worker, or gone — so a task delivered twice renders
    once."""
    now = timezone.now()
    silent_since = now - stale_after()
    lost = Q(heartbeat_at__lt=silent_since) | Q(
        heartbeat_at__isnull=True, started_at__lt=silent_since
    )
    claimable = Q(status__in=[RenderStatus.QUEUED, RenderStatus.FAILED]) | Q(
        Q(status=RenderStatus.RUNNING) & (lost | Q(started_at__lt=now - longest_run()))
    )
    changed = RenderPart.objects.filter(claimable, pk=part_id, job__kind=kind).update(
        status=RenderStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        error="",
        attempts=F("attempts") + 1,
    )
    return now if changed == 1 else None


def busy_countdown(part_id: int) -> float:
    """Seconds until a running part's claim turns stale if its worker stops touching it now,
    plus one: when to look at a busy part again. At most `stale_after()` + 1, which is below
    the broker's visibility timeout (a message held longer would be delivered twice)."""
    part = RenderPart.objects.filter(pk=part_id).values("heartbeat_at", "started_at").first()
    alive_at = part and (part["heartbeat_at"] or part["started_at"])
    stale = stale_after().total_seconds()
    if not alive_at:
        return 1.0
    remaining = (alive_at - timezone.now()).total_seconds() + stale
    return max(0.0, min(remaining, stale)) + 1.0


def look_again_later(task, part_id: int) -> None:
    """For a task that found its part busy: send it again, to the queue it came from, for when
    the other worker's claim would turn stale. Normally that worker finishes first (then this
    is skipped); if it was lost, this takes the part over. Unlike a retry this keeps the
    task's retry count, so waiting for a live worker never uses up the retries kept for
    failures. Run in-process (no broker), whoever holds the part is another request."""
    if not task.request.is_eager:
        task.signature_from_request(countdown=busy_countdown(part_id)).apply_async()


@contextmanager
def _heartbeat(claim: QuerySet) -> Iterator[None]:
    """While the body runs, touch the claimed part every RENDER_HEARTBEAT_SECONDS from a thread
    of this process, so a long render is never taken for a lost one. When the process dies
    (killed with its worker, or by the task time limit) the touches stop, and the part turns
    stale `stale_after()` later. The thread stops once the claim is no longer ours."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.RENDER_HEARTBEAT_SECONDS):
                try:
                    if not claim.update(heartbeat_at=timezone.now()):
                        return
                except DatabaseError:  # the next touch may succeed; the render goes on
                    logger.warning("could not record a render heartbeat", exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name="render-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class Outcome(enum.Enum):
    RENDERED = "rendered"
    BUSY = "busy"  # another worker is rendering it; look again once that claim is stale
    SKIPPED = "skipped"  # done already, or no such part


def part_render(
    *, part_id: int, kind: str, render: Callable[[RenderPart], tuple[bytes, int]]
) -> Outcome:
    """Claim a part, render it with `render(part) -> (pdf, pages)` and store the file. Every
    kind of PDF job goes through here. On an error the part is marked failed (claimable
    again) and the error re-raised for the task to retry.

    Exactly one file per part: the file's name is recorded on the part before it is written,
    so an attempt lost while writing leaves its name behind, and the attempt that takes the
    part over removes that file first; only the claim's holder marks the part done, and an
    attempt that lost its claim removes its own file."""
    claimed_at = part_claim(part_id, kind)
    if claimed_at is None:
        running = RenderPart.objects.filter(pk=part_id, status=RenderStatus.RUNNING).exists()
        return Outcome.BUSY if running else Outcome.SKIPPED
    part = RenderPart.objects.select_related(
        "job__project", "job__publication__project", "job__publication__community", "group"
    ).get(pk=part_id)
    storage = part.file.storage
    if part.file.name:  # left by a lost attempt: never the part's file (it is not done)
        storage.delete(part.file.name)
    ours = RenderPart.objects.filter(pk=part_id, status=RenderStatus.RUNNING, started_at=claimed_at)
    name = ""
    try:
        with _heartbeat(ours):
            pdf, pages = render(part)
            name = part.file.field.generate_filename(part, f"{part.label}.pdf")
            if not ours.update(file=name):
                return Outcome.SKIPPED  # taken over meanwhile; nothing written
            name = storage.save(name, ContentFile(pdf))
            # Only the claim's holder finishes the part: if the claim went stale and another
            # worker took over, this file is not the part's and is removed below.
            if not ours.update(
                status=RenderStatus.DONE, file=name, pages=pages, finished_at=timezone.now()
            ):
                storage.delete(name)
                return Outcome.SKIPPED
            if part.job.publication_id:  # its public page offers the finished part
                page_cache.forget([part.job.publication_id])
    except Exception as exc:
        if name:
            storage.delete(name)
        ours.update(
            status=RenderStatus.FAILED, file="", error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    return Outcome.RENDERED


def roster_part_render(*, part_id: int) -> Outcome:
    """Render one community's roster and store it in the part."""
    return part_render(
        part_id=part_id,
        kind=RenderJob.Kind.ROSTER,
        render=lambda part: pdf_rosters.roster_pdf(
            part.job.publication, part.label, part.job.options
        ),
    )


def roster_part_for_download(*, actor, part_id: int) -> RenderPart:
    """A finished roster part the actor may download."""
    require_permission(actor, PERMISSION)
    part = (
        RenderPart.objects.filter(
            projects_q(actor, "job__project"),
            pk=part_id,
            job__kind=RenderJob.Kind.ROSTER,
            status=RenderStatus.DONE,
        )
        .exclude(file="")
        .select_related("job__publication")
        .first()
    )
    if part is None:
        raise RuleViolation("not_found", _("没有这个PDF,或尚未生成完成。"))
    return part


def roster_job_for_download(*, actor, job_id: int) -> tuple[RenderJob, list[RenderPart]]:
    """A roster job whose every part is finished, with its parts, for the actor to download
    as one zip (one PDF per community)."""
    require_permission(actor, PERMISSION)
    job = (
        RenderJob.objects.filter(projects_q(actor), pk=job_id, kind=RenderJob.Kind.ROSTER)
        .select_related("publication")
        .first()
    )
    parts = list(job.parts.order_by("label")) if job is not None else []
    if not parts or any(p.status != RenderStatus.DONE or not p.file for p in parts):
        raise RuleViolation("not_found", _("该任务的PDF尚未全部生成完成。"))
    return job, parts
