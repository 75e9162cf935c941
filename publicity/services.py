"""Publishing, withdrawing and versioning publications; filing and answering objections."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Community, Household, Project
from households.services import review
from publicity.models import Objection, ObjectionStatus, Publication, PublicationStatus
from publicity.snapshot import content_hash, frozen_rows, hashed_document
from resettlement import publicity_kinds
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error
from resettlement.roles import require_permission
from resettlement.uploads import UploadRefused, upload_check

# What the public may attach to an objection or a report to the supervising office, with
# the extension its download is named with.
ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def default_period(kind_code: str, starts_on: dt.date) -> tuple[dt.date, dt.date]:
    """The default publicity period for a kind, overridable by settings.PUBLICITY_DAYS."""
    days = settings.PUBLICITY_DAYS.get(kind_code, publicity_kinds.get(kind_code).default_days)
    return starts_on, starts_on + dt.timedelta(days=days - 1)


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
    start, default_end = default_period(kind, starts_on or timezone.localdate())
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


@transaction.atomic
def publication_publish(*, actor, publication: Publication) -> Publication:
    """Freeze the rows as the public will see them (masked), hash them and publish."""
    require_permission(actor, "publicity.publish_publication")
    publication = (
        Publication.objects.select_for_update(of=("self",))
        .select_related("project", "community")
        .get(pk=publication.pk)
    )
    if publication.status != PublicationStatus.DRAFT:
        raise RuleViolation("not_draft", _("只有草稿可以发布;已发布的公示不能修改。"))
    publication.columns, publication.rows = frozen_rows(publication)
    publication.row_count = len(publication.rows)
    publication.content_hash = content_hash(hashed_document(publication))
    publication.status = PublicationStatus.PUBLISHED
    publication.published_by = actor
    publication.published_at = timezone.now()
    publication.save()
    if publication.previous_id:
        Publication.objects.filter(
            pk=publication.previous_id, status=PublicationStatus.PUBLISHED
        ).update(status=PublicationStatus.CLOSED)
    audit_record(
        actor=actor, action="publication.publish", obj=publication, payload=_facts(publication)
    )
    return publication


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
    start, end = default_period(publication.kind, starts_on or timezone.localdate())
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
    today = today or timezone.localdate()
    with transaction.atomic():
        expired = Publication.objects.select_for_update(of=("self",)).select_related(
            "project", "community"
        )
        expired = list(expired.filter(status=PublicationStatus.PUBLISHED, ends_on__lt=today))
        for publication in expired:
            publication.status = PublicationStatus.CLOSED
            publication.save(update_fields=["status"])
            audit_record(
                actor=None, action="publication.close", obj=publication, payload=_facts(publication)
            )
    return len(expired)


def attachment_check(upload: UploadedFile) -> tuple[str, dict[str, str] | None]:
    """A file the public attached (to an objection, to a report): its sniffed type, or the
    error on the "attachment" field that refuses it."""
    try:
        checked = upload_check(
            upload, allowed_types=ATTACHMENT_TYPES, max_bytes=settings.DOCUMENT_MAX_BYTES
        )
    except UploadRefused as refused:
        if refused.code == "too_large":
            megabytes = max(settings.DOCUMENT_MAX_BYTES // (1024 * 1024), 1)
            message = _("附件过大,上限为 %(mb)d MB。") % {"mb": megabytes}
        elif refused.code == "empty_file":
            message = _("附件是空文件。")
        else:
            message = _("附件只接受 PDF、JPG、PNG 文件。")
        return "", field_error("attachment", message, refused.code)
    return checked.content_type, None


@transaction.atomic
def objection_file(
    *,
    publication: Publication,
    contact_name: str,
    contact_phone: str,
    text: str,
    household_code: str = "",
    attachment: UploadedFile | None = None,
    today: dt.date | None = None,
) -> Objection:
    """Anyone may object to a publication during its period (no login)."""
    today = today or timezone.localdate()
    if publication.status != PublicationStatus.PUBLISHED or not (
        publication.starts_on <= today <= publication.ends_on
    ):
        raise RuleViolation("not_open", _("该公示不在公示期内,不能提出异议。"))
    errors = []
    if not contact_name.strip():
        errors.append({"field": "contact_name", "message": _("请填写联系人姓名。")})
    digits = "".join(ch for ch in contact_phone if ch.isdigit())
    if not 7 <= len(digits) <= 12:
        errors.append({"field": "contact_phone", "message": _("请填写有效的联系电话。")})
    if not text.strip():
        errors.append({"field": "text", "message": _("请写明异议内容。")})
    elif len(text) > 4000:
        errors.append({"field": "text", "message": _("异议内容不能超过4000字。")})
    code = household_code.strip()
    if code and not Household.objects.filter(project=publication.project, code=code).exists():
        errors.append({"field": "household_code", "message": _("本项目中没有这个户编号。")})
    attachment_type = ""
    if attachment is not None:
        attachment_type, problem = attachment_check(attachment)
        if problem:
            errors.append(problem)
    if errors:
        raise RuleViolation("invalid_input", errors[0]["message"], details=errors)
    objection = Objection(
        publication=publication,
        household_code=code,
        contact_name=contact_name.strip()[:50],
        contact_phone=contact_phone.strip()[:20],
        text=text.strip(),
        attachment_type=attachment_type,
    )
    if attachment is not None:
        objection.attachment.save("upload", attachment, save=False)
    objection.save()
    return objection


@transaction.atomic
def objection_answer(*, actor, objection: Objection, answer: str, upheld: bool) -> Objection:
    """Answer an objection in writing. An upheld objection about a household sends that
    household back to review; the correction then appears in a new version of the
    publication, never as an edit of this one."""
    require_permission(actor, "publicity.answer_objection")
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("publication__project")
        .get(pk=objection.pk)
    )
    if objection.status != ObjectionStatus.OPEN:
        raise RuleViolation("already_answered", _("该异议已答复。"))
    answer = (answer or "").strip()
    if not answer:
        raise RuleViolation("answer_required", _("请填写书面答复。"))
    objection.answer = answer
    objection.upheld = upheld
    objection.status = ObjectionStatus.ANSWERED
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save()
    audit_record(
        actor=actor,
        action="objection.answer",
        obj=objection,
        payload={
            "project": objection.publication.project.code,
            "publication_id": objection.publication_id,
            "household": objection.household_code,
            "upheld": upheld,
            "answer": answer,
        },
    )
    if upheld and objection.household_code:
        household = Household.objects.get(
            project=objection.publication.project, code=objection.household_code
        )
        review.household_send_back(
            actor=actor,
            household=household,
            reason=_("公示异议成立:%(t)s") % {"t": objection.publication.title},
        )
    return objection
