"""The resettlement agreement (安置协议): issued from the household's statement and
apartments as a PDF with its hash, signed once."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household, HouseholdStatus
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission
from settlement.models import (
    Agreement,
    Outcome,
    Statement,
)
from settlement.pdf import agreement as settlement_agreement
from settlement.selectors import handover
from settlement.services._common import _field_error, _invalid, _not_future

# Text limits (the model columns); forms and API serializers take them from here.
NAME_MAX = 50


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
    apartments = handover.household_apartments(household)
    statement = handover.statement_of(household)
    outcome = _outcome(household, apartments, statement)
    number = agreement_number(household)
    pdf = settlement_agreement.render_agreement(
        settlement_agreement.agreement_context(
            household=household,
            number=number,
            outcome=outcome,
            apartments=apartments,
            statement=statement,
            head=handover.head_name(household),
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
