"""Unmasking one resident's ID number, or one household's phone number, on purpose.

A role that sees personal data masked (resettlement.personal_data) sometimes needs one
number in full — the operator on lottery day facing an ID card that does not match, finance
checking a bank's rejected transfer. The user writes why; the act is recorded (who, when,
which record, why) as an `UnmaskRecord` the supervising office reviews, and as an entry of
the audit trail, in one transaction. The caller shows the value it returns in its answer to
that request only: the next page is masked again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from households.access import require_project_access
from households.models import Household, Member, Relation, UnmaskField, UnmaskRecord
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation, field_error
from resettlement.roles import require_permission

REASON_MAX_LENGTH = 500


@transaction.atomic
def personal_data_unmask(
    *, actor, household: Household, member: Member | None = None, reason: str
) -> str:
    """Record that `actor` sees `member`'s ID number (or, without a member, the household's
    phone number) in full, and return it. Refused without a written reason."""
    field = UnmaskField.ID_NUMBER if member is not None else UnmaskField.PHONE
    require_permission(
        actor, "households.view_member" if member is not None else "households.view_household"
    )
    require_project_access(actor, household.project_id)
    if member is not None and member.household_id != household.pk:
        raise RuleViolation("not_in_household", _("该成员不属于此安置户。"))
    person = member.name if member is not None else _head_name(household)
    reason = (reason or "").strip()
    if not reason:
        message = _("查看%(person)s的完整%(field)s,请填写理由(理由会被记录,供纪检监督查阅)。") % {
            "person": person,
            "field": field.label,
        }
        raise RuleViolation(
            "reason_required", message, details=[field_error("reason", message, "required")]
        )
    if len(reason) > REASON_MAX_LENGTH:
        message = _("理由不能超过%(n)d个字。") % {"n": REASON_MAX_LENGTH}
        raise RuleViolation(
            "reason_too_long", message, details=[field_error("reason", message, "max_length")]
        )
    record = UnmaskRecord.objects.create(
        project_id=household.project_id,
        household=household,
        member=member,
        field=field,
        person=person[:50],
        reason=reason,
        user=actor,
    )
    audit_record(
        actor=actor,
        action="personal_data.unmask",
        obj=record,
        payload={
            "project": household.project.code,
            "household": household.code,
            "member_id": member.pk if member is not None else None,
            "field": str(field),
            "reason": reason,
        },
    )
    return member.id_number if member is not None else household.phone


def _head_name(household: Household) -> str:
    head = Member.objects.filter(household=household, relation=Relation.HEAD).first()
    return head.name if head is not None else household.code
