"""Agreements, key handover, moving in and after-care defects (安置协议、交房、入住、售后报修).

Every write to these rows goes through these functions; pages, the API, the admin and the
demo data call them with the acting user as `actor` (the resident reporting a defect
through the lookup code on their notice is `actor=None`).

- Agreement: issued as a PDF whose SHA-256 is stored, numbered "<project>-AG-<household>".
  It may be issued again (a new text and hash, e.g. after the statement changed) until it is
  signed; a signed agreement never changes. The issued PDF is kept in private storage under
  its hash, so the text the household signed can always be downloaded again.
- Handover: only for a household with apartments from a signed lottery (a monetised
  household gets no keys). Recorded once; a mistake is put right with `correct=True`, which
  needs the change permission and keeps the move-in date (it must still be on or after the
  handover). After recording, a draft statement is recomputed so the temporary relocation
  subsidy ends at handover.
- Defects: reported by staff or the resident after handover, with JPEG/PNG photos judged by
  their bytes; answered (optionally closing) and closed by staff. The time to close is
  `closed_at − reported_at`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission
from resettlement.uploads import CheckedUpload, UploadRefused, upload_check
from settlement.models import (
    DefectPhoto,
    DefectStatus,
    DefectTicket,
    Handover,
)
from settlement.selectors import handover
from settlement.services._common import _field_error, _invalid

# Defect photos: how many per report and how large each may be (settings may override).
DEFECT_PHOTO_TYPES = ("image/jpeg", "image/png")
DEFAULT_DEFECT_PHOTO_MAX_BYTES = 10 * 1024 * 1024
MAX_DEFECT_PHOTOS = 6
LOCATION_MAX = 100
DESCRIPTION_MAX = 2000
ANSWER_MAX = 4000


# -- defects --------------------------------------------------------------------------------


def defect_photo_limit() -> int:
    return int(getattr(settings, "DEFECT_PHOTO_MAX_BYTES", DEFAULT_DEFECT_PHOTO_MAX_BYTES))


def _refusal(code: str, name: str, limit: int, size: int) -> str:
    if code == "empty_file":
        return _("照片“%(n)s”是空文件。") % {"n": name}
    if code == "too_large":
        return _("照片“%(n)s”过大(%(s).1f MB),上限为 %(m).0f MB。") % {
            "n": name,
            "s": size / 1048576,
            "m": limit / 1048576,
        }
    return _("只接受 JPG 或 PNG 照片;“%(n)s”的内容不是这两种格式。") % {"n": name}


def _check_photos(photos: Sequence[UploadedFile]) -> list[tuple[UploadedFile, CheckedUpload]]:
    """Each photo with its sniffed type and SHA-256; refuses anything but JPEG and PNG."""
    if len(photos) > MAX_DEFECT_PHOTOS:
        message = _("每次报修最多上传 %(n)d 张照片。") % {"n": MAX_DEFECT_PHOTOS}
        raise RuleViolation("too_many_photos", message, details=[_field_error("photos", message)])
    checked = []
    limit = defect_photo_limit()
    for upload in photos:
        try:
            checked.append(
                (upload, upload_check(upload, allowed_types=DEFECT_PHOTO_TYPES, max_bytes=limit))
            )
        except UploadRefused as refused:
            message = _refusal(refused.code, (upload.name or "")[-100:], limit, upload.size)
            raise RuleViolation(
                refused.code, message, details=[_field_error("photos", message)]
            ) from None
    return checked


@transaction.atomic
def defect_report(
    *,
    household: Household,
    location: str,
    description: str,
    photos: Sequence[UploadedFile] = (),
    actor=None,
    apartment=None,
) -> DefectTicket:
    """Open a defect ticket for a handed-over household: by staff (`actor`) or by the
    resident through the lookup code (`actor=None`). `apartment` defaults to the household's
    only apartment; with several it may be left empty (the location says where)."""
    if actor is not None:
        require_permission(actor, "settlement.add_defectticket")
    if not Handover.objects.filter(household=household).exists():
        raise RuleViolation(
            "not_handed_over", _("交房后才能报修:%(h)s 户尚未交房。") % {"h": household.code}
        )
    apartments = handover.household_apartments(household)
    if apartment is not None and apartment.pk not in {a.pk for a in apartments}:
        raise RuleViolation(
            "bad_apartment",
            _("该房屋不是本户的安置房。"),
            details=[_field_error("apartment", _("该房屋不是本户的安置房。"))],
        )
    if apartment is None and len(apartments) == 1:
        apartment = apartments[0]
    errors: list[dict[str, str]] = []
    location = (location or "").strip()
    description = (description or "").strip()
    if not location:
        errors.append(_field_error("location", _("请写明问题所在位置(如:主卧窗户)。")))
    elif len(location) > LOCATION_MAX:
        errors.append(_field_error("location", _("位置不能超过%(n)d字。") % {"n": LOCATION_MAX}))
    if not description:
        errors.append(_field_error("description", _("请描述发现的问题。")))
    elif len(description) > DESCRIPTION_MAX:
        errors.append(
            _field_error("description", _("问题描述不能超过%(n)d字。") % {"n": DESCRIPTION_MAX})
        )
    if errors:
        raise _invalid(errors)
    checked = _check_photos(list(photos))
    ticket = DefectTicket.objects.create(
        household=household,
        apartment=apartment,
        location=location,
        description=description,
        reported_by_resident=actor is None,
        reported_by=actor,
    )
    saved: list[str] = []
    try:
        for upload, check in checked:
            photo = DefectPhoto(ticket=ticket, content_type=check.content_type, sha256=check.sha256)
            photo.file.save("photo", upload, save=False)
            saved.append(photo.file.name)
            photo.save()
    except Exception:
        for name in saved:
            default_storage.delete(name)
        raise
    return ticket


@transaction.atomic
def defect_answer(*, actor, ticket: DefectTicket, answer: str, close: bool = False) -> DefectTicket:
    """Answer a ticket (what was done or will be done); `close=True` also closes it."""
    require_permission(actor, "settlement.answer_defect")
    ticket = DefectTicket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == DefectStatus.CLOSED:
        raise RuleViolation("closed", _("该报修已关闭,不能再答复。"))
    answer = (answer or "").strip()
    if not answer:
        raise _invalid([_field_error("answer", _("请填写答复内容。"))])
    if len(answer) > ANSWER_MAX:
        raise _invalid([_field_error("answer", _("答复不能超过%(n)d字。") % {"n": ANSWER_MAX})])
    now = timezone.now()
    ticket.answer = answer
    ticket.answered_by = actor
    ticket.answered_at = now
    ticket.status = DefectStatus.CLOSED if close else DefectStatus.ANSWERED
    if close:
        ticket.closed_at = now
    ticket.save()
    return ticket


@transaction.atomic
def defect_close(*, actor, ticket: DefectTicket) -> DefectTicket:
    """Close an answered ticket; the time to close is then fixed."""
    require_permission(actor, "settlement.answer_defect")
    ticket = DefectTicket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == DefectStatus.CLOSED:
        raise RuleViolation("closed", _("该报修已关闭。"))
    if ticket.status != DefectStatus.ANSWERED:
        raise RuleViolation("not_answered", _("请先答复,再关闭报修。"))
    ticket.status = DefectStatus.CLOSED
    ticket.closed_at = timezone.now()
    ticket.save(update_fields=["status", "closed_at"])
    return ticket
