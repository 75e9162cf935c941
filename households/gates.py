"""The households' gates: what must hold before a member is reviewed or a household approved.

Each gate is a function the services call inside their transaction, on rows they have locked;
it raises `RuleViolation` (or `NotAllowed` for the four-eyes rule) with a message naming the
household by its code and what is missing. Rules are listed in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from households.models import Household, HouseholdStatus, Member, ReviewStatus
from households.selectors.documents import required_missing
from households.selectors.verdicts import resettled_projects_by_id
from households.validation import FieldError
from resettlement.errors import NotAllowed, RuleViolation


def _handled(actor, household: Household, members: Sequence[Member]) -> bool:
    """Did `actor` register, enter or change this household or any of these members?"""
    if household.registered_by_id == actor.pk or actor.pk in household.editor_ids:
        return True
    return any(m.entered_by_id == actor.pk or actor.pk in m.editor_ids for m in members)


def four_eyes(actor, household: Household, members: Sequence[Member], act: str) -> None:
    """Whoever registered, entered or changed the household or these members may not `act`."""
    if _handled(actor, household, members):
        raise NotAllowed(
            "four_eyes",
            _("四眼原则:您登记或修改过 %(h)s 户的信息,不能%(act)s。请由其他工作人员办理。")
            % {"h": household.code, "act": act},
        )


def review_four_eyes(actor, household: Household, member: Member) -> None:
    """The reviewer of a member neither registered its household nor entered or changed it."""
    four_eyes(actor, household, [member], pgettext("four-eyes: may not", "审核其成员"))


def approval_four_eyes(actor, household: Household, members: Sequence[Member]) -> None:
    """The approver is neither the registrar, nor who entered or changed a member, nor one of
    its reviewers."""
    four_eyes(actor, household, members, pgettext("four-eyes: may not", "审批"))
    if any(m.reviewed_by_id == actor.pk for m in members):
        raise NotAllowed(
            "four_eyes",
            _("四眼原则:您审核过 %(h)s 户的成员,不能再审批该户。") % {"h": household.code},
        )


def approval_reviewed(household: Household) -> None:
    if household.status != HouseholdStatus.REVIEWED:
        raise RuleViolation(
            "not_reviewed",
            _("%(h)s 户尚未完成全部成员的审核,不能审批。") % {"h": household.code},
        )


def approval_documents(household: Household, override_reason: str) -> list[str]:
    """The project's approval checklist (Project.required_documents) is complete, or the
    approver wrote why the household is approved without the missing documents.

    Returns what was missing (recorded with the override), [] when complete.
    """
    missing = required_missing(household)
    if missing and not override_reason.strip():
        raise RuleViolation(
            "documents_missing",
            _("%(h)s 户缺少审批必备材料:%(m)s。请先上传,或填写缺少材料仍予审批的书面理由。")
            % {"h": household.code, "m": pgettext("list separator", "、").join(missing)},
            details=[FieldError("documents_override_reason", _("请上传材料或填写理由")).as_dict()],
        )
    return missing


def approval_resettled_once(household: Household, members: Sequence[Member]) -> None:
    """A person is resettled once: no passed member may already be a passed member of an
    approved household of another project (that approval must first be withdrawn through
    change control there: the household sent back or the member changed)."""
    passed = [m for m in members if m.review_status == ReviewStatus.PASSED]
    elsewhere = resettled_projects_by_id(
        [m.id_number for m in passed], exclude_project_id=household.project_id
    )
    clashes = [
        _("%(n)s(已在项目 %(p)s 获安置)")
        % {"n": m.name, "p": pgettext("list separator", "、").join(elsewhere[m.id_number])}
        for m in passed
        if m.id_number in elsewhere
    ]
    if clashes:
        raise RuleViolation(
            "resettled_elsewhere",
            _(
                "%(h)s 户不能审批:%(c)s。一人只能安置一次;"
                "如需在本项目安置,须先在原项目按变更程序撤回其安置。"
            )
            % {"h": household.code, "c": pgettext("list separator", "、").join(clashes)},
        )


def under_change_control(household: Household) -> bool:
    """Has a gate been passed on this household's facts: is it reviewed or approved, or is
    any of its members reviewed? From then on a change to a fact that feeds the entitlement
    or a statement needs a written reason (docs/qualification.md §6)."""
    if household.status != HouseholdStatus.REGISTERED:
        return True
    # Through .all(): the page that shows the household has its members prefetched.
    return any(m.review_status != ReviewStatus.PENDING for m in household.members.all())


def change_reason(household: Household, reason: str) -> str:
    """A change under change control is refused without a written reason (field `reason`)."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(
            "reason_required",
            _(
                "%(h)s 户已审核,修改成员、户口情况、被拆迁房屋面积或协议编号须填写变更原因;"
                "保存后该户将重新审核。"
            )
            % {"h": household.code},
            details=[FieldError("reason", _("请填写变更原因")).as_dict()],
        )
    return reason
