"""Adding, changing and removing a member of a registered household: each reopens the
household's review."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from households.models import (
    Household,
    HouseholdStatus,
    Member,
    Relation,
    ReviewStatus,
)
from households.selectors.verdicts import resettled_projects_by_id
from households.services._common import (
    _concurrent_registration,
    _facts_changed,
    _facts_changing,
    _reopen_review,
    _save_with_reason,
    _with_reason,
    _withdraw_review,
)
from households.services.registration import id_numbers_taken
from households.services.verdicts import apply_verdict, refresh_resettled_elsewhere
from households.validation import (
    MEMBER_FIELDS,
    FieldError,
    clean_member,
)
from resettlement.errors import RuleViolation, invalid_input
from resettlement.roles import require_permission


def _member_values(member: Member) -> dict[str, Any]:
    return {field: getattr(member, field) for field in MEMBER_FIELDS}


def _forbid_second_head(household: Household, relation: str, *, member_pk=None) -> None:
    """Checked before saving: past this point the database's one-head constraint would
    refuse the row with an IntegrityError (an error page) instead of this message."""
    if relation != Relation.HEAD:
        return
    if household.members.filter(relation=Relation.HEAD).exclude(pk=member_pk).exists():
        raise RuleViolation(
            "one_head",
            _("每户只能有一名户主,%(h)s 户已有户主。") % {"h": household.code},
            details=[FieldError("relation", _("每户只能有一名户主")).as_dict()],
        )


def _check_heads(household: Household) -> None:
    heads = household.members.filter(relation=Relation.HEAD).count()
    if heads != 1:
        raise RuleViolation(
            "one_head",
            _("每户必须有且只有一名户主(当前 %(n)d 名)") % {"n": heads},
            details=[FieldError("relation", _("每户必须有且只有一名户主")).as_dict()],
        )


@transaction.atomic
def member_add(*, actor, household: Household, data: Mapping[str, Any], reason: str = "") -> Member:
    """Add a member; the household's review reopens. Under change control (the household or
    a member reviewed) a written `reason` is required (docs/qualification.md §6)."""
    require_permission(actor, "households.add_member")
    household = Household.objects.select_for_update().select_related("project").get(pk=household.pk)
    cleaned, field_errors = clean_member(data)
    errors = [e.as_dict() for e in field_errors]
    taken = id_numbers_taken(household.project, [cleaned["id_number"]])
    errors += [error.as_dict() for error in taken.values()]
    if errors:
        raise invalid_input(errors)
    _forbid_second_head(household, cleaned["relation"])
    reason = _facts_changing(actor=actor, household=household, fields=["members"], reason=reason)
    member = Member(project=household.project, household=household, entered_by=actor, **cleaned)
    resettled = resettled_projects_by_id(
        [member.id_number], exclude_project_id=household.project_id
    )
    apply_verdict(member, household.project, resettled.get(member.id_number, ()))
    with _concurrent_registration():
        _save_with_reason(member, _with_reason(_("新增成员"), reason), actor)
    _check_heads(household)
    released = _reopen_review(household, _("新增成员 %(n)s,重新审核") % {"n": member.name}, actor)
    refresh_resettled_elsewhere(released, actor=actor)
    _facts_changed(
        actor=actor,
        household=household,
        fields=["members"],
        reason=reason,
        facts={"member_added": member.name},
    )
    return member


@transaction.atomic
def member_update(*, actor, member: Member, data: Mapping[str, Any], reason: str = "") -> Member:
    """Change a member. Any change of substance resets its review and reopens the household.
    Under change control (the household or a member reviewed) a written `reason` is required
    (docs/qualification.md §6)."""
    require_permission(actor, "households.change_member")
    household = (
        Household.objects.select_for_update().select_related("project").get(pk=member.household_id)
    )
    member = Member.objects.get(pk=member.pk)
    before = _member_values(member)
    cleaned, field_errors = clean_member({**before, **data})
    errors = [e.as_dict() for e in field_errors]
    taken = id_numbers_taken(
        household.project, [cleaned["id_number"]], exclude_member_ids=[member.pk]
    )
    errors += [error.as_dict() for error in taken.values()]
    if errors:
        raise invalid_input(errors)
    if cleaned == before:
        return member
    _forbid_second_head(household, cleaned["relation"], member_pk=member.pk)
    changed_fields = [f for f in MEMBER_FIELDS if cleaned[f] != before[f]]
    reason = _facts_changing(actor=actor, household=household, fields=["members"], reason=reason)
    for field, value in cleaned.items():
        setattr(member, field, value)
    # The person who changed the record may no longer review it (four-eyes).
    if actor.pk not in member.editor_ids:
        member.editor_ids = [*member.editor_ids, actor.pk]
    _withdraw_review(member)
    resettled = resettled_projects_by_id(
        [member.id_number], exclude_project_id=household.project_id
    )
    apply_verdict(member, household.project, resettled.get(member.id_number, ()))
    changed = ", ".join(changed_fields)
    with _concurrent_registration():
        _save_with_reason(
            member,
            _with_reason(_("修改成员信息(%(f)s),重新审核") % {"f": changed}, reason),
            actor,
        )
    _check_heads(household)
    released = _reopen_review(
        household,
        _("成员 %(n)s 信息变更,重新审核") % {"n": member.name},
        actor,
        released=[before["id_number"]],
    )
    refresh_resettled_elsewhere(released, actor=actor)
    _facts_changed(
        actor=actor,
        household=household,
        fields=["members"],
        reason=reason,
        facts={
            "member": member.name,
            "changed": {f: [str(before[f]), str(cleaned[f])] for f in changed_fields},
        },
    )
    return member


@transaction.atomic
def member_remove(*, actor, member: Member, reason: str = "") -> None:
    """Remove a member. Under change control (the household or a member reviewed) a written
    `reason` is required (docs/qualification.md §6)."""
    require_permission(actor, "households.delete_member")
    household = Household.objects.select_for_update().get(pk=member.household_id)
    name, id_number = member.name, member.id_number
    reason = _facts_changing(actor=actor, household=household, fields=["members"], reason=reason)
    member._change_reason = _with_reason(_("删除成员"), reason)
    member._history_user = actor
    member.delete()
    _check_heads(household)
    # The remaining members' findings still hold; only the entitlement must be approved
    # again, so a household whose other members are all reviewed goes straight back to the
    # leader rather than sitting in neither queue.
    if actor.pk not in household.editor_ids:
        household.editor_ids = [*household.editor_ids, actor.pk]
    released = _reopen_review(
        household, _("删除成员 %(n)s,重新审核") % {"n": name}, actor, released=[id_number]
    )
    if not household.members.filter(review_status=ReviewStatus.PENDING).exists():
        household.status = HouseholdStatus.REVIEWED
    _save_with_reason(household, _("删除成员 %(n)s") % {"n": name}, actor)
    refresh_resettled_elsewhere(released, actor=actor)
    _facts_changed(
        actor=actor,
        household=household,
        fields=["members"],
        reason=reason,
        facts={"member_removed": name},
    )
