"""Registering a household with all its members in one step, and changing its own fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from households.access import require_project_access
from households.models import (
    Community,
    Household,
    HouseholdStatus,
    Member,
    Project,
    ReviewStatus,
    VillagerGroup,
)
from households.selectors.verdicts import resettled_projects_by_id
from households.services._common import (
    HOUSEHOLD_FACT_FIELDS,
    _concurrent_registration,
    _facts_changed,
    _facts_changing,
    _reopen_review,
    _save_with_reason,
    _with_reason,
)
from households.services.verdicts import apply_verdict, refresh_resettled_elsewhere
from households.validation import (
    HOUSEHOLD_FIELDS,
    FieldError,
    clean_household,
    clean_member,
    household_member_errors,
)
from resettlement.errors import invalid_input
from resettlement.roles import require_permission


def _scope_errors(project: Project, community: Community, group: VillagerGroup) -> list[dict]:
    errors = []
    if community.project_id != project.pk:
        errors.append(
            FieldError("community", _("该村/社区不属于项目 %(p)s") % {"p": project.code}).as_dict()
        )
    if group.community_id != community.pk:
        errors.append(FieldError("group", _("该村民小组不属于所选村/社区")).as_dict())
    return errors


def household_codes_taken(project: Project, codes: Sequence[str]) -> dict[str, FieldError]:
    """The household-code check, the one place it is written: of `codes`, those already
    used in `project`, each with its error. Registration, changing a household's code and
    the roster import all ask it."""
    taken = (
        Household.objects.filter(project=project, code__in=[code for code in codes if code])
        .order_by()
        .values_list("code", flat=True)
    )
    return {
        code: FieldError("code", _("户编号 %(c)s 在本项目中已存在") % {"c": code}) for code in taken
    }


def id_numbers_taken(
    project: Project, numbers: Sequence[str], *, exclude_member_ids: Sequence[int] = ()
) -> dict[str, FieldError]:
    """The duplicate-ID check, the one place it is written: of `numbers`, those already
    registered in `project` (members `exclude_member_ids` aside), each with the error naming
    the household that holds it. Registration, adding and changing a member, and the roster
    import all ask it."""
    taken = (
        Member.objects.filter(project=project, id_number__in=[n for n in numbers if n])
        .exclude(pk__in=exclude_member_ids)
        .order_by()
        .values_list("id_number", "household__code")
    )
    return {
        number: FieldError(
            "id_number",
            _("身份证号已在本项目的 %(h)s 户登记") % {"h": household},
            "duplicate_id",
        )
        for number, household in taken
    }


@transaction.atomic
def household_register(
    *,
    actor,
    project: Project,
    community: Community,
    group: VillagerGroup,
    household: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
) -> Household:
    """Register a household with all its members in one step (nothing saved on any error).

    Raises RuleViolation whose `details` list every problem as
    {"field", "message", "member" (index, for member fields)}.
    """
    require_permission(actor, "households.add_household")
    require_permission(actor, "households.add_member")
    require_project_access(actor, project)
    errors = _scope_errors(project, community, group)
    household_data, household_errors = clean_household(household)
    errors += [e.as_dict() for e in household_errors]
    errors += [
        e.as_dict() for e in household_codes_taken(project, [household_data["code"]]).values()
    ]
    cleaned_members = []
    for index, raw in enumerate(members):
        data, member_errors = clean_member(raw)
        cleaned_members.append(data)
        errors += [{**e.as_dict(), "member": index} for e in member_errors]
    if not members:
        errors.append(FieldError("members", _("至少要登记一名成员(户主)")).as_dict())
    errors += [
        {**e.as_dict(), "member": index}
        for index, e in household_member_errors(cleaned_members)
        if members
    ]
    taken = id_numbers_taken(project, [m["id_number"] for m in cleaned_members])
    for index, data in enumerate(cleaned_members):
        if data["id_number"] in taken:
            errors.append({**taken[data["id_number"]].as_dict(), "member": index})
    if errors:
        raise invalid_input(errors)

    new = Household(
        project=project,
        community=community,
        group=group,
        registered_by=actor,
        **household_data,
    )
    resettled = resettled_projects_by_id(
        [m["id_number"] for m in cleaned_members], exclude_project_id=project.pk
    )
    with _concurrent_registration():
        _save_with_reason(new, _("登记"), actor)
        for data in cleaned_members:
            member = Member(project=project, household=new, entered_by=actor, **data)
            apply_verdict(member, project, resettled.get(data["id_number"], ()))
            _save_with_reason(member, _("登记"), actor)
    return new


def households_register_bulk(
    *,
    actor,
    project: Project,
    households: Sequence[Household],
    members: Sequence[Member],
    reason: str,
    batch_size: int | None = None,
) -> None:
    """Register many households at once: the roster import's write (households.resources).

    The caller has checked every row with the rules `household_register` applies
    (`clean_household`, `clean_member`, `household_member_errors`, `household_codes_taken`,
    `id_numbers_taken`, the community and group of the project). This sets what
    `household_register` sets — who registered each household and entered each member, each
    member's verdict — and writes the rows in bulk, each with its history row (`actor`,
    `reason`). `members` refer to their households; those in `households` are new. A code or
    ID number someone registered meanwhile raises IntegrityError: the caller's transaction
    rolls back.
    """
    require_permission(actor, "households.add_household")
    require_permission(actor, "households.add_member")
    require_project_access(actor, project)
    for household in households:
        household.project = project
        household.registered_by = actor
    resettled = resettled_projects_by_id(
        [member.id_number for member in members], exclude_project_id=project.pk
    )
    for member in members:
        member.project = project
        member.entered_by = actor
        apply_verdict(member, project, resettled.get(member.id_number, ()))
    if households:
        bulk_create_with_history(
            households,
            Household,
            batch_size=batch_size,
            default_user=actor,
            default_change_reason=reason,
        )
    bulk_create_with_history(
        members, Member, batch_size=batch_size, default_user=actor, default_change_reason=reason
    )


@transaction.atomic
def household_update(
    *, actor, household: Household, data: Mapping[str, Any], reason: str = ""
) -> Household:
    """Change the household's own fields (code, address, phone, agreement, area, notes).

    Change control: once the household is reviewed (or any member is), changing the
    agreement number or the demolished area needs a written `reason`; the change is audited,
    sends the household back to the leader (its members' findings stand) and tells the later
    stages (households.signals). Address, phone and notes change freely.
    """
    require_permission(actor, "households.change_household")
    household = Household.objects.select_for_update().select_related("project").get(pk=household.pk)
    before = household_values(household)
    cleaned, field_errors = clean_household({**before, **data})
    errors = [e.as_dict() for e in field_errors]
    if cleaned["code"] != household.code:
        taken = household_codes_taken(household.project, [cleaned["code"]])
        errors += [error.as_dict() for error in taken.values()]
    if errors:
        raise invalid_input(errors)
    if cleaned == before:
        return household
    facts = [f for f in HOUSEHOLD_FACT_FIELDS if cleaned[f] != before[f]]
    if facts:
        reason = _facts_changing(actor=actor, household=household, fields=facts, reason=reason)
    else:
        reason = ""
    for field, value in cleaned.items():
        setattr(household, field, value)
    if actor.pk not in household.editor_ids:
        household.editor_ids = [*household.editor_ids, actor.pk]
    _save_with_reason(household, _with_reason(_("修改户信息"), reason), actor)
    if reason:
        if household.status == HouseholdStatus.APPROVED:
            # The members' findings stand: the household goes back to the leader.
            released = _reopen_review(
                household, _("户信息变更(%(f)s),重新审批") % {"f": ", ".join(facts)}, actor
            )
            if not household.members.filter(review_status=ReviewStatus.PENDING).exists():
                household.status = HouseholdStatus.REVIEWED
                _save_with_reason(household, _("成员审核完成"), actor, update_fields=["status"])
            refresh_resettled_elsewhere(released, actor=actor)
        _facts_changed(
            actor=actor,
            household=household,
            fields=facts,
            reason=reason,
            facts={f: [str(before[f]), str(cleaned[f])] for f in facts},
        )
    return household


def household_values(household: Household) -> dict[str, Any]:
    """The household's own editable fields, as household_update takes them."""
    return {field: getattr(household, field) for field in HOUSEHOLD_FIELDS}
