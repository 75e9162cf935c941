"""Publishing, withdrawing and versioning publications, and closing them when their period
ends."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Community, Project
from publicity import page_cache, search
from publicity.models import Publication, PublicationRow, PublicationStatus
from publicity.selectors.public_site import public_table
from publicity.services import periods
from publicity.snapshot import content_hash, frozen_rows, hashed_document
from resettlement import periods as days
from resettlement import publicity_kinds
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.roles import require_permission


def default_period(
    kind_code: str, starts_on: dt.date, project: Project | None = None
) -> tuple[dt.date, dt.date]:
    """The default publicity period for a kind (publicity.services.periods)."""
    return periods.default_period(kind_code, starts_on, project)


def default_title(project: Project, spec, community: Community | None) -> str:
    """ "<project> <kind>(<community>)", in the system's language like the record itself."""
    where = f"({community.name})" if community else ""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{project.name} {spec.label}{where}"


@transaction.atomic
def publication_create(
    *,
    actor,
    project: Project,
    kind: str,
    title: str = "",
    community: Community | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    mask_names: bool = True,
) -> Publication:
    """A draft publication; its rows are built and frozen only when it is published."""
    require_permission(actor, "publicity.add_publication")
    require_project_access(actor, project)
    try:
        spec = publicity_kinds.get(kind)
    except KeyError:
        raise RuleViolation("unknown_kind", _("未知的公示类型:%(k)s") % {"k": kind}) from None
    if community is not None and community.project_id != project.pk:
        raise RuleViolation("bad_community", _("该村/社区不属于本项目。"))
    start, default_end = default_period(kind, starts_on or days.today(), project)
    end = ends_on or default_end
    if end < start:
        raise RuleViolation("bad_period", _("公示结束日期不能早于开始日期。"))
    version = (
        Publication.objects.filter(project=project, kind=kind, community=community).count() + 1
    )
    return Publication.objects.create(
        project=project,
        community=community,
        kind=kind,
        title=title or default_title(project, spec, community),
        version=version,
        starts_on=start,
        ends_on=end,
        mask_names=mask_names,
        created_by=actor,
    )


def is_drafter(actor, publication: Publication) -> bool:
    """Whether `actor` drafted this publication (four-eyes: they never publish it)."""
    return publication.created_by_id == actor.pk


def can_publish(actor, publication: Publication) -> bool:
    """Whether `actor` may publish this draft: the permission, and not its drafter."""
    return (
        publication.status == PublicationStatus.DRAFT
        and actor.has_perm("publicity.publish_publication")
        and not is_drafter(actor, publication)
    )


def require_not_drafter(actor, publication: Publication) -> None:
    """Four-eyes on publicity: the person who drafted a publication never publishes it; a
    second person with the right checks the preview and publishes."""
    if is_drafter(actor, publication):
        raise NotAllowed(
            "four_eyes",
            _("“%(title)s”第%(v)d版由您起草,须由另一位有发布权限的人员核对后发布(四眼原则)。")
            % {"title": publication.title, "v": publication.version},
        )


@transaction.atomic
def publication_publish(*, actor, publication: Publication) -> Publication:
    """Freeze the rows as the public will see them (masked), hash them and publish; never
    by the person who drafted it (four-eyes: `require_not_drafter`)."""
    require_permission(actor, "publicity.publish_publication")
    publication = (
        Publication.objects.select_for_update(of=("self",))
        .select_related("project", "community")
        .get(pk=publication.pk)
    )
    require_project_access(actor, publication.project)
    if publication.status != PublicationStatus.DRAFT:
        raise RuleViolation("not_draft", _("只有草稿可以发布;已发布的公示不能修改。"))
    require_not_drafter(actor, publication)
    publication.columns, publication.rows = frozen_rows(publication)
    publication.row_count = len(publication.rows)
    publication.content_hash = content_hash(hashed_document(publication))
    publication.status = PublicationStatus.PUBLISHED
    publication.published_by = actor
    publication.published_at = timezone.now()
    publication.save()
    PublicationRow.objects.bulk_create(public_row_objects(publication), batch_size=1000)
    if publication.previous_id:
        Publication.objects.filter(
            pk=publication.previous_id, status=PublicationStatus.PUBLISHED
        ).update(status=PublicationStatus.CLOSED)
    # Every version's page lists the versions and says which one corrected it.
    page_cache.forget(_versions(publication))
    audit_record(
        actor=actor, action="publication.publish", obj=publication, payload=_facts(publication)
    )
    return publication


def public_row_objects(publication, *, model=PublicationRow) -> list:
    """The publication's rows as the public sees them (masked: `public_table`), with their
    search text and pieces (`publicity.search`), ready to be saved. `model` lets the
    migration that filled the rows of earlier publications use its own."""
    return [
        model(
            publication_id=publication.pk,
            number=number,
            cells=cells,
            text=search.row_text(cells),
            grams=search.row_grams(cells),
        )
        for number, cells in enumerate(public_table(publication).rows)
    ]


def _versions(publication: Publication) -> list[int]:
    return list(
        Publication.objects.filter(
            project_id=publication.project_id,
            kind=publication.kind,
            community_id=publication.community_id,
        ).values_list("pk", flat=True)
    )


def _facts(publication: Publication, **more) -> dict:
    """What the audit trail records of a publication decision."""
    return {
        "project": publication.project.code,
        "kind": publication.kind,
        "community": publication.community.code if publication.community_id else None,
        "version": publication.version,
        "starts_on": publication.starts_on,
        "ends_on": publication.ends_on,
        "row_count": publication.row_count,
        "content_hash": publication.content_hash,
        "previous_id": publication.previous_id,
        **more,
    }


@transaction.atomic
def publication_withdraw(*, actor, publication: Publication, reason: str) -> Publication:
    """Take a publication down before its period ends, with a reason shown publicly."""
    require_permission(actor, "publicity.publish_publication")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("reason_required", _("撤回公示必须填写公开的理由。"))
    updated = Publication.objects.filter(
        pk=publication.pk, status=PublicationStatus.PUBLISHED
    ).update(
        status=PublicationStatus.WITHDRAWN,
        withdrawn_reason=reason,
        withdrawn_at=timezone.now(),
    )
    if updated != 1:
        raise RuleViolation("not_published", _("只有公示中的公示可以撤回。"))
    publication = Publication.objects.select_related("project", "community").get(pk=publication.pk)
    page_cache.forget(_versions(publication))
    audit_record(
        actor=actor,
        action="publication.withdraw",
        obj=publication,
        payload=_facts(publication, reason=reason),
    )
    return publication


@transaction.atomic
def publication_new_version(
    *, actor, publication: Publication, starts_on: dt.date | None = None
) -> Publication:
    """A new draft of the same roster (after a correction); the old version stays as it was."""
    require_permission(actor, "publicity.add_publication")
    if publication.status == PublicationStatus.DRAFT:
        raise RuleViolation("still_draft", _("草稿可以直接发布,无需新版本。"))
    if Publication.objects.filter(previous=publication).exists():
        raise RuleViolation("has_next", _("该公示已有新版本。"))
    start, end = default_period(publication.kind, starts_on or days.today(), publication.project)
    version = (
        Publication.objects.filter(
            project=publication.project, kind=publication.kind, community=publication.community
        ).count()
        + 1
    )
    return Publication.objects.create(
        project=publication.project,
        community=publication.community,
        kind=publication.kind,
        title=publication.title,
        version=version,
        previous=publication,
        starts_on=start,
        ends_on=end,
        mask_names=publication.mask_names,
        created_by=actor,
    )


def publications_close_expired(*, today: dt.date | None = None) -> int:
    """Close publications whose period has ended (run daily by Celery beat)."""
    today = today or days.today()
    with transaction.atomic():
        expired = Publication.objects.select_for_update(of=("self",)).select_related(
            "project", "community"
        )
        expired = list(expired.filter(status=PublicationStatus.PUBLISHED, ends_on__lt=today))
        for publication in expired:
            publication.status = PublicationStatus.CLOSED
            publication.save(update_fields=["status"])
            page_cache.forget([publication.pk])
            audit_record(
                actor=None, action="publication.close", obj=publication, payload=_facts(publication)
            )
    return len(expired)
