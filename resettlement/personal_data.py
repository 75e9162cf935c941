"""Who in the office sees residents' ID numbers and phone numbers in full (PIPL Art. 6,
"minimum necessary"; DESIGN §6).

A role whose work needs them holds the permission `households.view_full_personal_data`
(clerk, reviewer and leader: they register, check and approve people; `resettlement.roles`
grants it). Everyone else — the lottery operator, the notary, finance, the supervising office
— sees them masked by `resettlement.masking.mask` on every staff page, API response, export
and PDF. Every surface asks `shown` (or the `{% shown %}` template tag built on it), so they
all decide the same way.

A user who sees masked data may unmask one record on purpose, with a written reason
(`households.services.unmask`): the act is recorded and audited, and the full value is shown
in the answer to that request only — `Unmasked` names it for the templates and serializers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.db import models

from resettlement.masking import Mask, mask

FULL_PERSONAL_DATA = "households.view_full_personal_data"

# Households' bank account numbers (settlement.BankAccount) are finance's alone: finance pays
# into them and checks them against the bank's files. Every other role — the clerk who typed
# one in included — sees only the last 4 digits (`Mask.BANK_ACCOUNT`), on pages, in the API
# and in the audit trail (whose facts hold the masked number only).
FULL_BANK_ACCOUNT = "settlement.view_full_bank_account"


def sees_full_personal_data(user) -> bool:
    """Whether `user` sees resident ID numbers and phone numbers in full."""
    return bool(
        user is not None and getattr(user, "is_active", False) and user.has_perm(FULL_PERSONAL_DATA)
    )


def sees_full_bank_accounts(user) -> bool:
    """Whether `user` sees households' bank account numbers in full (finance)."""
    return bool(
        user is not None and getattr(user, "is_active", False) and user.has_perm(FULL_BANK_ACCOUNT)
    )


def bank_account_shown(user, number: object) -> str:
    """A bank account number as `user` may see it: in full for finance, else the last 4
    digits only. There is no unmasking of an account number on request."""
    text = "" if number is None else str(number)
    return text if sees_full_bank_accounts(user) else mask(text, Mask.BANK_ACCOUNT)


@dataclass(frozen=True)
class Unmasked:
    """One record's personal field shown in full in one response, after an unmask."""

    field: str  # "id_number" or "phone"
    record: models.Model

    def covers(self, field: str, record: Any) -> bool:
        return (
            field == self.field
            and isinstance(record, models.Model)
            and record._meta.concrete_model is self.record._meta.concrete_model
            and record.pk == self.record.pk
        )


def shown(
    user,
    value: object,
    kind: Mask | str,
    *,
    record: Any = None,
    unmasked: Unmasked | None = None,
) -> str:
    """`value` (an ID number or a phone number) as `user` may see it: in full for a role
    that needs it, or for the one record `unmasked` names; masked otherwise."""
    text = "" if value is None else str(value)
    if sees_full_personal_data(user):
        return text
    if unmasked is not None and record is not None and unmasked.covers(str(kind), record):
        return text
    return mask(text, kind)


class PersonalDataAdminMixin:
    """For a ModelAdmin showing `personal_fields` ({field name: Mask kind}): a user without
    the full view gets the masked value in their place, on the change page and on every
    history version (both render the fields `get_fields` names)."""

    personal_fields: dict[str, Mask] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, kind in self.personal_fields.items():
            setattr(self, _masked_name(name), _masked_display(self.model, name, kind))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if sees_full_personal_data(request.user):
            return fields
        replaced = [_masked_name(n) if n in self.personal_fields else n for n in fields]
        return list(dict.fromkeys(replaced))

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        if sees_full_personal_data(request.user):
            return exclude
        return [*exclude, *self.personal_fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if sees_full_personal_data(request.user):
            return readonly
        readonly = [name for name in readonly if name not in self.personal_fields]
        return [*readonly, *(_masked_name(name) for name in self.personal_fields)]

    def get_historical_record_context_helper(self, request, historical_record):
        """The history list shows what each version changed, old and new value side by side:
        a changed number is masked on both sides for a user without the full view."""
        helper = super().get_historical_record_context_helper(request, historical_record)
        if sees_full_personal_data(request.user):
            return helper
        return _MaskedDeltas(helper, self.personal_fields)


class _MaskedDeltas:
    """django-simple-history's context helper, with the personal fields' old and new values
    masked before they are shown."""

    def __init__(self, helper, personal_fields: dict[str, Mask]) -> None:
        self._helper = helper
        self._personal_fields = personal_fields

    def context_for_delta_changes(self, delta) -> list[dict[str, Any]]:
        masked = [
            dataclasses.replace(
                change,
                old=mask(change.old, self._personal_fields[change.field]),
                new=mask(change.new, self._personal_fields[change.field]),
            )
            if change.field in self._personal_fields
            else change
            for change in delta.changes
        ]
        return self._helper.context_for_delta_changes(dataclasses.replace(delta, changes=masked))


def _masked_name(field: str) -> str:
    return f"{field}_masked"


def _masked_display(model: type[models.Model], field: str, kind: Mask):
    def display(obj: models.Model) -> str:
        return mask(getattr(obj, field, ""), kind) or "—"

    display.short_description = model._meta.get_field(field).verbose_name
    return display
