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

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household, HouseholdStatus
from resettlement.errors import RuleViolation, field_error
from resettlement.roles import require_permission
from resettlement.uploads import CheckedUpload, UploadRefused, upload_check
from settlement import agreement_pdf
from settlement import selectors_handover as selectors
from settlement.models import (
    Agreement,
    DefectPhoto,
    DefectStatus,
    DefectTicket,
    Handover,
    Outcome,
    Statement,
)
from settlement.services import statement_refresh

# Meter readings are stored with 10 digits, 2 of them decimals.
MAX_READING = Decimal("99999999.99")
MAX_KEYS = 50
# Text limits (the model columns); forms and API serializers take them from here.
NAME_MAX = 50
SIGNATURE_RECORD_MAX = 200
# Defect photos: how many per report and how large each may be (settings may override).
DEFECT_PHOTO_TYPES = ("image/jpeg", "image/png")
DEFAULT_DEFECT_PHOTO_MAX_BYTES = 10 * 1024 * 1024
MAX_DEFECT_PHOTOS = 6
LOCATION_MAX = 100
DESCRIPTION_MAX = 2000
ANSWER_MAX = 4000


def _field_error(field: str, message: str) -> dict[str, str]:
    # With a code, as the API's error body declares (resettlement.errors.field_error).
    return field_error(field, message)


def _invalid(errors: list[dict[str, str]]) -> RuleViolation:
    return RuleViolation("invalid_input", errors[0]["message"], details=errors)


def _not_future(value: dt.date, field: str, label: str, errors: list) -> None:
    if value > timezone.localdate():
        errors.append(_field_error(field, _("%(l)s不能晚于今天。") % {"l": label}))


# -- agreements -----------------------------------------------------------------------------


def agreement_number(household: Household) -> str:
    return f"{household.project.code}-AG-{household.code}"


def agreement_pdf_path(agreement: Agreement) -> str:
    """Where the issued text is kept (private storage), named by its hash."""
    return f"agreements/{agreement.project_id}/{agreement.pdf_sha256}.pdf"


def _outcome(household: Household, apartments: list, statement: Statement | None) -> str:
    if apartments:
        return Outcome.APARTMENT
    if statement is not None and statement.outcome == Outcome.MONETISED:
        return Outcome.MONETISED
    raise RuleViolation(
        "no_outcome",
        _("%(h)s 户既没有摇号取得的安置房,也没有货币化安置的结算单,不能出具安置协议。")
        % {"h": household.code},
    )


@transaction.atomic
def agreement_issue(*, actor, household: Household) -> tuple[Agreement, bytes]:
    """Issue (or, until signed, re-issue) the household's resettlement agreement.

    Returns the agreement and the PDF's bytes; the hash of exactly those bytes is stored and
    the bytes are kept in private storage for later downloads.
    """
    household = (
        Household.objects.select_for_update()
        .select_related("project", "community", "group")
        .get(pk=household.pk)
    )
    existing = Agreement.objects.select_for_update().filter(household=household).first()
    require_permission(
        actor, "settlement.change_agreement" if existing else "settlement.add_agreement"
    )
    if existing is not None and existing.signed_on is not None:
        raise RuleViolation(
            "already_signed",
            _("协议 %(n)s 已于 %(d)s 签订,不能重新出具。")
            % {"n": existing.number, "d": existing.signed_on.isoformat()},
        )
    if household.status != HouseholdStatus.APPROVED:
        raise RuleViolation(
            "not_approved", _("%(h)s 户尚未审批通过,不能出具安置协议。") % {"h": household.code}
        )
    apartments = selectors.household_apartments(household)
    statement = selectors.statement_of(household)
    outcome = _outcome(household, apartments, statement)
    number = agreement_number(household)
    pdf = agreement_pdf.render_agreement(
        agreement_pdf.agreement_context(
            household=household,
            number=number,
            outcome=outcome,
            apartments=apartments,
            statement=statement,
            head=selectors.head_name(household),
            issued_on=timezone.localdate(),
        )
    )
    digest = hashlib.sha256(pdf).hexdigest()
    old_path = agreement_pdf_path(existing) if existing is not None else None
    agreement = existing or Agreement(household=household, project=household.project)
    agreement.number = number
    agreement.pdf_sha256 = digest
    agreement.recorded_by = actor
    agreement.save()
    path = agreement_pdf_path(agreement)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(pdf))
    if old_path and old_path != path:
        transaction.on_commit(lambda: default_storage.delete(old_path))
    return agreement, pdf


def agreement_pdf_bytes(agreement: Agreement) -> bytes | None:
    """The issued text, checked against its stored hash (None if missing or altered)."""
    try:
        with default_storage.open(agreement_pdf_path(agreement), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == agreement.pdf_sha256 else None


@transaction.atomic
def agreement_sign(
    *, actor, agreement: Agreement, signed_on: dt.date, signer_name: str
) -> Agreement:
    """Record that the household signed the issued agreement: when and who signed."""
    require_permission(actor, "settlement.change_agreement")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.signed_on is not None:
        raise RuleViolation(
            "already_signed",
            _("协议 %(n)s 已于 %(d)s 签订。")
            % {"n": agreement.number, "d": agreement.signed_on.isoformat()},
        )
    errors: list[dict[str, str]] = []
    signer_name = (signer_name or "").strip()
    if not signer_name:
        errors.append(_field_error("signer_name", _("请填写签字人姓名。")))
    elif len(signer_name) > NAME_MAX:
        errors.append(_field_error("signer_name", _("签字人姓名不能超过50字。")))
    if signed_on is None:
        errors.append(_field_error("signed_on", _("请填写签订日期。")))
    else:
        _not_future(signed_on, "signed_on", _("签订日期"), errors)
    if errors:
        raise _invalid(errors)
    agreement.signed_on = signed_on
    agreement.signer_name = signer_name
    agreement.recorded_by = actor
    agreement.save()
    return agreement


# -- handover and moving in -----------------------------------------------------------------


def _reading(value, field: str, label: str, errors: list, *, required: bool = True):
    if value is None or value == "":
        if required:
            errors.append(_field_error(field, _("请填写%(l)s。") % {"l": label}))
        return None
    try:
        reading = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(_field_error(field, _("%(l)s必须是数字。") % {"l": label}))
        return None
    if not reading.is_finite() or reading < 0:
        errors.append(_field_error(field, _("%(l)s不能是负数。") % {"l": label}))
        return None
    if reading > MAX_READING or reading != reading.quantize(Decimal("0.01")):
        errors.append(_field_error(field, _("%(l)s最多8位整数、2位小数。") % {"l": label}))
        return None
    return reading


@transaction.atomic
def handover_record(
    *,
    actor,
    household: Household,
    handed_over_on: dt.date,
    keys: int,
    water_reading,
    electricity_reading,
    gas_reading=None,
    received_by: str,
    signature_record: str,
    correct: bool = False,
) -> Handover:
    """Record the key handover of the household's apartments.

    Once recorded, a second call is refused unless `correct=True` (change permission): the
    correction replaces the values and keeps the move-in date, which must still be on or
    after the handover date.
    """
    household = Household.objects.select_for_update().get(pk=household.pk)
    existing = Handover.objects.select_for_update().filter(household=household).first()
    if correct:
        require_permission(actor, "settlement.change_handover")
        if existing is None:
            raise RuleViolation(
                "no_handover", _("%(h)s 户尚未交房,无可更正的记录。") % {"h": household.code}
            )
    else:
        require_permission(actor, "settlement.add_handover")
        if existing is not None:
            raise RuleViolation(
                "already_handed_over",
                _("%(h)s 户已于 %(d)s 交房;如登记有误,请使用“更正交房记录”。")
                % {"h": household.code, "d": existing.handed_over_on.isoformat()},
            )
    if not selectors.binding_allocations(household).exists():
        raise RuleViolation(
            "no_apartment",
            _("%(h)s 户没有摇号取得的安置房,不能登记交房。") % {"h": household.code},
        )
    errors: list[dict[str, str]] = []
    if handed_over_on is None:
        errors.append(_field_error("handed_over_on", _("请填写交房日期。")))
    else:
        _not_future(handed_over_on, "handed_over_on", _("交房日期"), errors)
    try:
        keys = int(keys)
    except (TypeError, ValueError):
        errors.append(_field_error("keys", _("钥匙数量必须是整数。")))
    else:
        if keys < 1:
            errors.append(_field_error("keys", _("钥匙数量至少为1把。")))
        elif keys > MAX_KEYS:
            errors.append(_field_error("keys", _("钥匙数量不能超过%(n)d把。") % {"n": MAX_KEYS}))
    water = _reading(water_reading, "water_reading", _("水表读数"), errors)
    electricity = _reading(electricity_reading, "electricity_reading", _("电表读数"), errors)
    gas = _reading(gas_reading, "gas_reading", _("燃气表读数"), errors, required=False)
    received_by = (received_by or "").strip()
    signature_record = (signature_record or "").strip()
    if not received_by:
        errors.append(_field_error("received_by", _("请填写接房人(签字人)姓名。")))
    elif len(received_by) > NAME_MAX:
        errors.append(_field_error("received_by", _("接房人姓名不能超过50字。")))
    if not signature_record:
        errors.append(_field_error("signature_record", _("请填写签字记录(如交房确认单编号)。")))
    elif len(signature_record) > SIGNATURE_RECORD_MAX:
        errors.append(_field_error("signature_record", _("签字记录不能超过200字。")))
    if (
        existing is not None
        and existing.moved_in_on is not None
        and handed_over_on is not None
        and existing.moved_in_on < handed_over_on
    ):
        errors.append(
            _field_error(
                "handed_over_on",
                _("该户已于 %(d)s 入住,交房日期不能晚于入住日期。")
                % {"d": existing.moved_in_on.isoformat()},
            )
        )
    if errors:
        raise _invalid(errors)
    handover = existing or Handover(household=household)
    handover.handed_over_on = handed_over_on
    handover.keys = keys
    handover.water_reading = water
    handover.electricity_reading = electricity
    handover.gas_reading = gas
    handover.handed_over_by = actor
    handover.received_by = received_by
    handover.signature_record = signature_record
    handover.save()
    # The temporary relocation subsidy of a draft statement now ends at the handover.
    statement_refresh(household)
    return handover


@transaction.atomic
def move_in_record(*, actor, household: Household, moved_in_on: dt.date) -> Handover:
    """Record the date the household moved in: on or after the handover, not in the future."""
    require_permission(actor, "settlement.change_handover")
    handover = Handover.objects.select_for_update().filter(household=household).first()
    if handover is None:
        raise RuleViolation(
            "no_handover", _("%(h)s 户尚未交房,不能登记入住。") % {"h": household.code}
        )
    errors: list[dict[str, str]] = []
    if moved_in_on is None:
        errors.append(_field_error("moved_in_on", _("请填写入住日期。")))
    else:
        _not_future(moved_in_on, "moved_in_on", _("入住日期"), errors)
        if moved_in_on < handover.handed_over_on:
            errors.append(
                _field_error(
                    "moved_in_on",
                    _("入住日期不能早于交房日期 %(d)s。")
                    % {"d": handover.handed_over_on.isoformat()},
                )
            )
    if errors:
        raise _invalid(errors)
    handover.moved_in_on = moved_in_on
    handover.save(update_fields=["moved_in_on", "recorded_at"])
    return handover


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
    apartments = selectors.household_apartments(household)
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
