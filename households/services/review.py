"""Qualification review and approval under the four-eyes rule: a reviewer's finding on each
member, a leader's approval of the household with its entitlement, and sending a household
back to review."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households import gates
from households.models import (
    Household,
    HouseholdStatus,
    Member,
    Project,
    ReviewStatus,
)
from households.services import verdicts
from households.services._common import (
    _REVIEW_FIELDS,
    _reopen_review,
    _save_with_reason,
    _withdraw_review,
)
from households.signals import facts_changed
from households.validation import (
    FieldError,
)
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation
from resettlement.roles import require_permission


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
    gates.review_four_eyes(actor, household, member)
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
def household_approve(
    *, actor, household: Household, opinion: str = "", documents_override_reason: str = ""
) -> Household:
    """A leader approves a fully reviewed household with an opinion (审批意见); its
    population and entitlement follow.

    Gates (households.gates): the approver may not be the registrar, anyone who entered or
    changed a member, or any reviewer of its members; every member is reviewed; the project's
    required documents are uploaded, or `documents_override_reason` says in writing why it is
    approved without them (recorded on the household and in the audit entry); no passed
    member is already resettled in another project.
    """
    require_permission(actor, "households.approve_household")
    household = Household.objects.select_for_update().select_related("project").get(pk=household.pk)
    members = list(household.members.all())
    gates.approval_four_eyes(actor, household, members)
    gates.approval_reviewed(household)
    override = (documents_override_reason or "").strip()
    missing = gates.approval_documents(household, override)
    gates.approval_resettled_once(household, members)
    population, area = entitlement_for(household.project, members)
    household.status = HouseholdStatus.APPROVED
    household.approved_by = actor
    household.approved_at = timezone.now()
    household.approval_opinion = (opinion or "").strip()
    household.documents_override_reason = override if missing else ""
    household.resettlement_population = population
    household.entitlement_area = area
    _save_with_reason(
        household,
        _("审批通过:安置人口 %(p)d,应安置面积 %(a)s㎡") % {"p": population, "a": area},
        actor,
    )
    verdicts.refresh_resettled_elsewhere(
        [m.id_number for m in members if m.review_status == ReviewStatus.PASSED], actor=actor
    )
    audit_record(
        actor=actor,
        action="household.approve",
        obj=household,
        payload={
            **_approval_facts(household, members),
            "opinion": household.approval_opinion,
            "documents_missing": missing,
            "documents_override_reason": household.documents_override_reason,
        },
    )
    return household


@dataclass(frozen=True)
class Refusal:
    household: Household
    message: str
    code: str


@dataclass(frozen=True)
class ApprovalBatch:
    """What a bulk approval did: the households approved and those refused, with why."""

    approved: list[Household] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def households_approve_many(
    *, actor, households: Iterable[Household], opinion: str
) -> ApprovalBatch:
    """Approve several households with one opinion, each in its own transaction: a household
    a gate refuses (four-eyes, unreviewed, documents missing — a bulk approval records no
    override — resettled elsewhere) is listed with the refusal and the others still go
    through."""
    batch = ApprovalBatch()
    for household in households:
        try:
            batch.approved.append(
                household_approve(actor=actor, household=household, opinion=opinion)
            )
        except RuleViolation as refusal:
            batch.refused.append(Refusal(household, refusal.message, refusal.code))
    return batch


def _approval_facts(household: Household, members: Sequence[Member]) -> dict[str, Any]:
    return {
        "project": household.project.code,
        "household": household.code,
        "population": household.resettlement_population,
        "entitlement_area": household.entitlement_area,
        "members": {str(m.pk): m.review_status for m in members},
    }


@transaction.atomic
def household_send_back(*, actor, household: Household, reason: str) -> Household:
    """Send a household back to review (e.g. an upheld publicity objection): every member's
    finding is withdrawn and the approval with its entitlement cleared; the later stages hear
    `facts_changed` with fields ["status"] (households.signals)."""
    require_permission(actor, "households.send_back_household")
    household = Household.objects.select_for_update().get(pk=household.pk)
    for member in household.members.select_for_update():
        _withdraw_review(member)
        _save_with_reason(member, reason, actor, update_fields=_REVIEW_FIELDS)
    released = _reopen_review(household, reason, actor)
    verdicts.refresh_resettled_elsewhere(released, actor=actor)
    audit_record(
        actor=actor,
        action="household.send_back",
        obj=household,
        payload={"household": household.code, "reason": reason},
    )
    facts_changed.send(
        sender=Household, household=household, fields=["status"], actor=actor, reason=reason
    )
    return household
