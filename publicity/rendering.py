"""Printing a published roster for the notice boards: one PDF per community, by Celery.

`roster_render_start` creates a RenderJob with one RenderPart per community in the frozen
snapshot and queues one task per part after commit, so several workers render a roster in
parallel. A task claims its part with a conditional UPDATE (queued or failed, or running
for so long that its worker must have died) and renders only if it got it: a task
delivered twice renders once and leaves one file. Progress is the share of parts done.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from households.access import projects_q
from households.models import Community
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission

from . import pdf_rosters
from .models import Publication, PublicationStatus, RenderJob, RenderPart, RenderStatus

logger = logging.getLogger(__name__)

# Printing a public roster needs no more than reading it: the clerks post the sheets.
PERMISSION = "publicity.view_publication"
PRINTABLE = (PublicationStatus.PUBLISHED, PublicationStatus.CLOSED, PublicationStatus.WITHDRAWN)


def stale_after() -> dt.timedelta:
    """A part left "running" longer than a task may run was lost with its worker (killed,
    out of memory): it may be claimed again."""
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


@transaction.atomic
def roster_render_start(*, actor, publication: Publication) -> RenderJob:
    """Start printing a public roster: one part per community, rendered by Celery after
    commit."""
    require_permission(actor, PERMISSION)
    publication = Publication.objects.select_related("project", "community").get(pk=publication.pk)
    if publication.status not in PRINTABLE:
        raise RuleViolation("not_published", _("只有已发布的公示可以生成PDF。"))
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
    from .tasks import render_roster_part  # the task module imports this one

    part_ids = [part.pk for part in parts]
    transaction.on_commit(lambda: [render_roster_part.delay(pk) for pk in part_ids])
    return job


def part_claim(part_id: int, kind: str) -> dt.datetime | None:
    """Take a part of a job of `kind` for rendering: queued or failed, or running longer
    than a task may run (its worker died). Returns the claim's time (the part's
    started_at), or None when the part is done, running on another worker, or gone — so a
    task delivered twice renders once."""
    now = timezone.now()
    claimable = Q(status__in=[RenderStatus.QUEUED, RenderStatus.FAILED]) | Q(
        status=RenderStatus.RUNNING, started_at__lt=now - stale_after()
    )
    changed = RenderPart.objects.filter(claimable, pk=part_id, job__kind=kind).update(
        status=RenderStatus.RUNNING, started_at=now, finished_at=None, error=""
    )
    return now if changed == 1 else None


class Outcome(enum.Enum):
    RENDERED = "rendered"
    BUSY = "busy"  # another worker is rendering it; look again once that claim is stale
    SKIPPED = "skipped"  # done already, or no such part


def part_render(
    *, part_id: int, kind: str, render: Callable[[RenderPart], tuple[bytes, int]]
) -> Outcome:
    """Claim a part, render it with `render(part) -> (pdf, pages)` and store the file. Every
    kind of PDF job goes through here. On an error the part is marked failed (claimable
    again) and the error re-raised for the task to retry."""
    claimed_at = part_claim(part_id, kind)
    if claimed_at is None:
        running = RenderPart.objects.filter(pk=part_id, status=RenderStatus.RUNNING).exists()
        return Outcome.BUSY if running else Outcome.SKIPPED
    part = RenderPart.objects.select_related(
        "job__project", "job__publication__project", "job__publication__community", "group"
    ).get(pk=part_id)
    ours = RenderPart.objects.filter(pk=part_id, status=RenderStatus.RUNNING, started_at=claimed_at)
    name = ""
    try:
        pdf, pages = render(part)
        name = part.file.storage.save(
            part.file.field.generate_filename(part, f"{part.label}.pdf"), ContentFile(pdf)
        )
        # Only the claim's holder finishes the part: if the claim went stale and another
        # worker took over, this file is not the part's and is removed below.
        if not ours.update(
            status=RenderStatus.DONE, file=name, pages=pages, finished_at=timezone.now()
        ):
            part.file.storage.delete(name)
            return Outcome.SKIPPED
    except Exception as exc:
        if name:
            part.file.storage.delete(name)
        ours.update(status=RenderStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    return Outcome.RENDERED


def roster_part_render(*, part_id: int) -> Outcome:
    """Render one community's roster and store it in the part."""
    return part_render(
        part_id=part_id,
        kind=RenderJob.Kind.ROSTER,
        render=lambda part: pdf_rosters.roster_pdf(part.job.publication, part.label),
    )


def roster_jobs(publication: Publication) -> list[RenderJob]:
    """The publication's roster jobs, newest first, with their parts."""
    return list(
        RenderJob.objects.filter(publication=publication, kind=RenderJob.Kind.ROSTER)
        .select_related("created_by")
        .prefetch_related("parts")
        .order_by("-created_at", "-pk")
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
