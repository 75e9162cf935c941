"""Qualification review and approval under the four-eyes rule: a reviewer's finding on each
member, a leader's approval of the household with its entitlement, and sending a household
back to review."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from households.models import (
    Household,
    HouseholdStatus,
    Member,
    Project,
    ReviewStatus,
)
from households.selectors.verdicts import resettled_projects_by_id
from households.services._common import (
    _REVIEW_FIELDS,
    _VERDICT_FIELDS,
    _reopen_review,
    _save_with_reason,
    _withdraw_review,
)
from households.services.verdicts import apply_verdict
from households.validation import (
    FieldError,
)
from resettlement.audit import audit_record
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.roles import require_permission


def _handled(actor, household: Household, members: Sequence[Member]) -> bool:
    """Did `actor` register, enter or change this household or any of these members?"""
    if household.registered_by_id == actor.pk or actor.pk in household.editor_ids:
        return True
    return any(m.entered_by_id == actor.pk or actor.pk in m.editor_ids for m in members)


def _forbid_entered_by(actor, household: Household, members: Sequence[Member], act: str) -> None:
    if _handled(actor, household, members):
        raise NotAllowed(
            "four_eyes",
            _("四眼原则:您登记或修改过 %(h)s 户的信息,不能%(act)s。请由其他工作人员办理。")
            % {"h": household.code, "act": act},
        )


@transaction.atomic
def member_review(*, actor, member: Member, decision: str, reason: str = "") -> Member:
    """Record a reviewer's finding on one member: pass or reject.

    Deciding against the computed verdict is an override; rejecting or overriding needs a
    written reason. The person who registered the household or entered the member may not
    review it. When every member is reviewed the household becomes "reviewed".
    """
    require_permission(actor, "households.review_member")
    household = Household.objects.select_for_update().get(pk=member.household_id)
    member = Member.objects.select_for_update().get(pk=member.pk)
    _forbid_entered_by(actor, household, [member], pgettext("four-eyes: may not", "审核其成员"))
    if household.status == HouseholdStatus.APPROVED:
        raise RuleViolation(
            "already_approved",
            _("%(h)s 户已审批,如需更改请先修改成员信息以重新审核。") % {"h": household.code},
        )
    if decision not in (ReviewStatus.PASSED, ReviewStatus.REJECTED):
        raise RuleViolation("bad_decision", _("审核结果只能是“通过”或“不通过”。"))
    reason = (reason or "").strip()
    overridden = (decision == ReviewStatus.PASSED) != member.verdict_qualified
    if (overridden or decision == ReviewStatus.REJECTED) and not reason:
        raise RuleViolation(
            "reason_required",
            _("不通过或改变系统判定时必须填写书面理由。"),
            details=[FieldError("reason", _("请填写理由")).as_dict()],
        )
    member.review_status = decision
    member.review_overridden = overridden
    member.review_reason = reason
    member.reviewed_by = actor
    member.reviewed_at = timezone.now()
    _save_with_reason(
        member,
        _("资格审核:%(d)s%(o)s")
        % {
            "d": ReviewStatus(decision).label,
            "o": _("(改变系统判定)") if overridden else "",
        },
        actor,
    )
    pending = household.members.filter(review_status=ReviewStatus.PENDING).exists()
    new_status = HouseholdStatus.REGISTERED if pending else HouseholdStatus.REVIEWED
    if household.status != new_status:
        household.status = new_status
        _save_with_reason(household, _("成员审核完成") if not pending else _("审核进行中"), actor)
    audit_record(
        actor=actor, action="member.review", obj=member, payload=_review_facts(household, member)
    )
    return member


def _review_facts(household: Household, member: Member) -> dict[str, Any]:
    return {
        "household": household.code,
        "member_id": member.pk,
        "decision": member.review_status,
        "computed_qualified": member.verdict_qualified,
        "overridden": member.review_overridden,
        "reason": member.review_reason,
    }


def entitlement_for(project: Project, members: Sequence[Member]) -> tuple[int, Decimal]:
    """Resettlement population and entitlement area from the passed members.

    area = population × area per person, plus the one-child bonus once per household where a
    passed member holds a one-child certificate, plus the single-person bonus where exactly
    one person qualifies. See docs/qualification.md.
    """
    passed = [m for m in members if m.review_status == ReviewStatus.PASSED]
    population = len(passed)
    area = project.area_per_person * population
    if any(m.one_child_certificate for m in passed):
        area += project.one_child_bonus_area
    if population == 1:
        area += project.single_person_bonus_area
    return population, area.quantize(Decimal("0.01"))


@transaction.atomic
def household_approve(*, actor, household: Household) -> Household:
    """A leader approves a fully reviewed household; its population and entitlement follow.

    The approver may not be the registrar, anyone who entered a member, or any reviewer of
    its members.
    """
    require_permission(actor, "households.approve_household")
    household = Household.objects.select_for_update().select_related("project").get(pk=household.pk)
    members = list(household.members.all())
    _forbid_entered_by(actor, household, members, pgettext("four-eyes: may not", "审批"))
    if any(m.reviewed_by_id == actor.pk for m in members):
        raise NotAllowed(
            "four_eyes",
            _("四眼原则:您审核过 %(h)s 户的成员,不能再审批该户。") % {"h": household.code},
        )
    if household.status != HouseholdStatus.REVIEWED:
        raise RuleViolation(
            "not_reviewed",
            _("%(h)s 户尚未完成全部成员的审核,不能审批。") % {"h": household.code},
        )
    population, area = entitlement_for(household.project, members)
    household.status = HouseholdStatus.APPROVED
    household.approved_by = actor
    household.approved_at = timezone.now()
    household.resettlement_population = population
    household.entitlement_area = area
    _save_with_reason(
        household,
        _("审批通过:安置人口 %(p)d,应安置面积 %(a)s㎡") % {"p": population, "a": area},
        actor,
    )
    _refresh_other_projects(household, actor)
    audit_record(
        actor=actor,
        action="household.approve",
        obj=household,
        payload=_approval_facts(household, members),
    )
    return household


def _approval_facts(household: Household, members: Sequence[Member]) -> dict[str, Any]:
    return {
        "project": household.project.code,
        "household": household.code,
        "population": household.resettlement_population,
        "entitlement_area": household.entitlement_area,
        "members": {str(m.pk): m.review_status for m in members},
    }


def _refresh_other_projects(household: Household, actor) -> None:
    """Flag the same people in other projects' open reviews as resettled here.

    A pass recorded there was given on evidence that no longer holds, so it goes back to
    review and its household with it: otherwise that project's leader could approve the same
    person a second time on the stale pass. Rejections stand.
    """
    numbers = [
        m.id_number for m in household.members.all() if m.review_status == ReviewStatus.PASSED
    ]
    others = Member.objects.filter(id_number__in=numbers).exclude(project_id=household.project_id)
    others = others.exclude(household__status=HouseholdStatus.APPROVED).select_related("project")
    for other in others:
        resettled = resettled_projects_by_id([other.id_number], exclude_project_id=other.project_id)
        apply_verdict(other, other.project, resettled.get(other.id_number, ()))
        fields = list(_VERDICT_FIELDS)
        reopen = other.review_status == ReviewStatus.PASSED
        if reopen:
            _withdraw_review(other)
            fields += _REVIEW_FIELDS
        _save_with_reason(other, _("已在其他项目安置,重新判定"), actor, update_fields=fields)
        if reopen:
            _reopen_review(
                Household.objects.select_for_update().get(pk=other.household_id),
                _("成员 %(n)s 已在项目 %(p)s 安置,重新审核")
                % {"n": other.name, "p": household.project.code},
                actor,
            )


@transaction.atomic
def household_send_back(*, actor, household: Household, reason: str) -> Household:
    """Send a household back to review (e.g. an upheld publicity objection): every member's
    finding is withdrawn and the approval with its entitlement cleared."""
    require_permission(actor, "households.send_back_household")
    household = Household.objects.select_for_update().get(pk=household.pk)
    for member in household.members.select_for_update():
        _withdraw_review(member)
        _save_with_reason(member, reason, actor, update_fields=_REVIEW_FIELDS)
    _reopen_review(household, reason, actor)
    audit_record(
        actor=actor,
        action="household.send_back",
        obj=household,
        payload={"household": household.code, "reason": reason},
    )
    return household
