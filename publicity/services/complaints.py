"""Reports and complaints to the supervising office (举报投诉, seed 001: the discipline
inspection committee's mailbox and hotline): filed by anyone on the public site, handled and
answered in writing by the supervising role only.

The reporter gets a reference and a check code at submission; with both they read the status
and the answer on the public site. The check code is stored only as a password hash, so not
even the supervising office can read it back.
"""

from __future__ import annotations

import re
import secrets

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Project
from publicity.models import Complaint, ComplaintCategory, ComplaintStatus
from publicity.services.objections import attachment_check
from resettlement.errors import RuleViolation, field_error, invalid_input
from resettlement.roles import require_permission

TEXT_MAX = 4000
# No 0/O, 1/I/L: read off a screen, written on paper, typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "JB"
REFERENCE_LENGTH = 8  # after the prefix
CHECK_CODE_LENGTH = 8
PHONE_CHARACTERS = re.compile(r"[0-9+\-() ]*")

OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.HANDLING)


def _random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _new_reference() -> str:
    while True:
        reference = REFERENCE_PREFIX + _random_code(REFERENCE_LENGTH)
        if not Complaint.objects.filter(reference=reference).exists():
            return reference


def complaint_problems(
    *, category: str, text: str, contact_name: str, contact_phone: str
) -> list[dict[str, str]]:
    """What is wrong with a report's fields (the attachment aside), one entry per field."""
    errors = []
    if category not in ComplaintCategory.values:
        errors.append(field_error("category", _("请选择举报类别。")))
    text = (text or "").strip()
    if not text:
        errors.append(field_error("text", _("请写明举报或投诉的内容。"), "required"))
    elif len(text) > TEXT_MAX:
        errors.append(
            field_error("text", _("内容不能超过 %(n)d 字。") % {"n": TEXT_MAX}, "too_long")
        )
    if len((contact_name or "").strip()) > 50:
        errors.append(field_error("contact_name", _("姓名不能超过50字。"), "too_long"))
    contact_phone = (contact_phone or "").strip()
    digits = "".join(ch for ch in contact_phone if ch.isdigit())
    if contact_phone and (
        not PHONE_CHARACTERS.fullmatch(contact_phone) or not 7 <= len(digits) <= 12
    ):
        errors.append(
            field_error("contact_phone", _("请填写有效的联系电话,或留空匿名举报。"), "bad_phone")
        )
    return errors


@transaction.atomic
def complaint_file(
    *,
    category: str,
    text: str,
    project: Project | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    attachment: UploadedFile | None = None,
) -> tuple[Complaint, str]:
    """File a report (no login; the contact is optional, a report may be anonymous).

    Returns the complaint and its check code, which is shown to the reporter once and never
    stored in the clear. Every problem with the input is reported at once, nothing saved.
    """
    text = (text or "").strip()
    contact_name = (contact_name or "").strip()
    contact_phone = (contact_phone or "").strip()
    errors = complaint_problems(
        category=category, text=text, contact_name=contact_name, contact_phone=contact_phone
    )
    attachment_type, problem = attachment_check(attachment)
    if problem:
        errors.append(problem)
    if errors:
        raise invalid_input(errors)

    check_code = _random_code(CHECK_CODE_LENGTH)
    complaint = Complaint(
        reference=_new_reference(),
        check_code_hash=make_password(check_code),
        project=project,
        category=category,
        text=text,
        contact_name=contact_name,
        contact_phone=contact_phone,
        attachment_type=attachment_type,
    )
    if attachment is not None:
        complaint.attachment.save("upload", attachment, save=False)
    try:
        complaint.save()
    except Exception:
        if complaint.attachment:
            complaint.attachment.delete(save=False)
        raise
    return complaint, check_code


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


@transaction.atomic
def complaint_start(*, actor, complaint: Complaint) -> Complaint:
    """The supervising office starts looking into a received report (已受理 → 核查中)."""
    require_permission(actor, "publicity.handle_complaint")
    complaint = _locked(complaint)
    if complaint.status != ComplaintStatus.RECEIVED:
        raise RuleViolation("not_received", _("只有“已受理”的举报可以开始核查。"))
    complaint.status = ComplaintStatus.HANDLING
    complaint.save(update_fields=["status"])
    return complaint


def _answer_text(answer: str) -> str:
    answer = (answer or "").strip()
    if not answer:
        raise invalid_input([field_error("answer", _("请填写答复。"), "required")])
    if len(answer) > TEXT_MAX:
        raise invalid_input(
            [field_error("answer", _("答复不能超过 %(n)d 字。") % {"n": TEXT_MAX}, "too_long")]
        )
    return answer


@transaction.atomic
def complaint_answer(*, actor, complaint: Complaint, answer: str) -> Complaint:
    """Answer a report in writing; the reporter reads it with the reference and check code."""
    require_permission(actor, "publicity.handle_complaint")
    answer = _answer_text(answer)
    complaint = _locked(complaint)
    if complaint.status not in OPEN_STATUSES:
        raise RuleViolation("already_answered", _("该举报已答复。"))
    complaint.answer = answer
    complaint.answered_by = actor
    complaint.answered_at = timezone.now()
    complaint.status = ComplaintStatus.ANSWERED
    complaint.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    return complaint


@transaction.atomic
def complaint_close(*, actor, complaint: Complaint, answer: str = "") -> Complaint:
    """Close a report (已办结). An answered one closes as it is; one not yet answered (a
    duplicate, say) needs a written reason, which becomes its answer."""
    require_permission(actor, "publicity.handle_complaint")
    complaint = _locked(complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        raise RuleViolation("already_closed", _("该举报已办结。"))
    now = timezone.now()
    fields = ["status", "closed_at"]
    if complaint.status in OPEN_STATUSES:
        complaint.answer = _answer_text(answer)
        complaint.answered_by = actor
        complaint.answered_at = now
        fields += ["answer", "answered_by", "answered_at"]
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = now
    complaint.save(update_fields=fields)
    return complaint
