"""The key handover (交钥匙) with its meter readings, and the move-in date. Recording the
handover day ends the relocation subsidy: the draft statement is recomputed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from households.models import Household
from lottery.selectors import sign_off
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission
from settlement import gates
from settlement.models import (
    Handover,
)
from settlement.services._common import _field_error, _invalid, _not_future
from settlement.services.agreements import NAME_MAX
from settlement.services.statements import statement_refresh

# Meter readings are stored with 10 digits, 2 of them decimals.
MAX_READING = Decimal("99999999.99")
MAX_KEYS = 50
SIGNATURE_RECORD_MAX = 200


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
    """Record the key handover of the household's apartments: only once its statement is
    settled (`settlement.gates.handover_ready`).

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
    if not sign_off.binding_allocations(household).exists():
        raise RuleViolation(
            "no_apartment",
            _("%(h)s 户没有摇号取得的安置房,不能登记交房。") % {"h": household.code},
        )
    if not correct:
        gates.handover_ready(household)  # keys only after settlement
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
