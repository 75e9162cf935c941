"""Objections to a publication: filed by anyone during its period, answered in writing by
staff. Also what the public may attach (to an objection, or to a report: services.complaints)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household
from households.services import review
from publicity import page_cache
from publicity.models import Objection, ObjectionStatus, Publication, PublicationStatus
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error
from resettlement.roles import require_permission
from resettlement.uploads import UploadRefused, upload_check

# What the public may attach to an objection or a report to the supervising office, with
# the extension its download is named with.
ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def attachment_check(upload: UploadedFile | None) -> tuple[str, dict[str, str] | None]:
    """A file the public attached (to an objection, to a report): its sniffed type, or the
    error on the "attachment" field that refuses it; none attached: no type, no error."""
    if upload is None:
        return "", None
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
    page_cache.forget([objection.publication_id])  # the answer is published on its page
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
