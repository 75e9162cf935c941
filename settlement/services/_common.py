"""Field errors shared by the agreement, handover and defect services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from resettlement.errors import RuleViolation, field_error


def _field_error(field: str, message: str) -> dict[str, str]:
    # With a code, as the API's error body declares (resettlement.errors.field_error).
    return field_error(field, message)


def _invalid(errors: list[dict[str, str]]) -> RuleViolation:
    return RuleViolation("invalid_input", errors[0]["message"], details=errors)


def _not_future(value: dt.date, field: str, label: str, errors: list) -> None:
    if value > timezone.localdate():
        errors.append(_field_error(field, _("%(l)s不能晚于今天。") % {"l": label}))
