"""The computed qualification verdict each member carries (households.qualification applied to
the member's facts and the project's policy), set when a member is entered or changed and
recomputed when the policy changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from households import qualification
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


def member_facts(member: Member | Mapping[str, Any]) -> qualification.MemberFacts:
    get = member.get if isinstance(member, Mapping) else lambda f: getattr(member, f)
    return qualification.MemberFacts(
        birth_date=get("birth_date"),
        hukou_nature=get("hukou_nature"),
        hukou_moved_in=get("hukou_moved_in"),
        hukou_moved_out=get("hukou_moved_out"),
        special_status=get("special_status"),
        housing_welfare=get("housing_welfare"),
    )


def apply_verdict(member: Member, project: Project, resettled_in: tuple[str, ...]) -> None:
    """Compute and set the member's verdict fields (does not save).

    The evidence is stored as the office's record, in the system's language (Chinese),
    whatever language the person who triggered the computation is using.
    """
    with translation.override(settings.LANGUAGE_CODE):
        verdict = qualification.evaluate(member_facts(member), project, resettled_in=resettled_in)
    member.verdict_qualified = verdict.qualified
    member.verdict_checks = verdict.as_json()
    member.verdict_failures = verdict.failures_field()


def withdrawn_by_policy_change(member: Member) -> bool:
    """Does a policy change that leaves `member` with this (recomputed) verdict withdraw its
    finding? Only a pass the verdict now contradicts that was given without a written reason:
    a reviewer who wrote why they passed decided on more than the rules, and that stands."""
    return (
        member.review_status == ReviewStatus.PASSED
        and not member.review_reason.strip()
        and not member.verdict_qualified
    )


@transaction.atomic
def project_recompute_verdicts(*, project: Project, actor=None) -> int:
    """Re-apply the rules to every member not yet approved (after a policy change, which
    `project_update_policy` makes; `actor` is the person who changed it, for the history).

    A pass the new rules contradict, given without a written reason, goes back to review with
    its household: it was not an override when it was given, and must not become one
    silently. A pass given with a written reason (every override, and any pass the reviewer
    explained) stands, as do rejections (docs/qualification.md §6, case 5).
    """
    members = list(
        Member.objects.filter(project=project).exclude(household__status=HouseholdStatus.APPROVED)
    )
    resettled = resettled_projects_by_id(
        [m.id_number for m in members], exclude_project_id=project.pk
    )
    for member in members:
        apply_verdict(member, project, resettled.get(member.id_number, ()))
    Member.objects.bulk_update(members, _VERDICT_FIELDS, batch_size=1000)
    stale_passes = [m for m in members if withdrawn_by_policy_change(m)]
    for member in stale_passes:  # few, and each belongs in the history
        _withdraw_review(member)
        reason = _("安置政策调整,成员 %(n)s 重新审核") % {"n": member.name}
        _save_with_reason(member, reason, actor, update_fields=_VERDICT_FIELDS + _REVIEW_FIELDS)
        _reopen_review(
            Household.objects.select_for_update().get(pk=member.household_id), reason, actor
        )
    return len(members)


def refresh_resettled_elsewhere(id_numbers: Iterable[str], *, actor) -> None:
    """Recompute "resettled elsewhere" for these people wherever their household is not
    approved, after an approval that concerns them was given or undone (approve, send back,
    a member changed or removed from an approved household).

    A newly flagged pass goes back to review with its household: it was given on evidence
    that no longer holds, and that project's leader must not approve the same person a second
    time on it. A flag that no longer holds is cleared; the finding withdrawn when it was
    raised stays withdrawn — the member is back in the review queue with a clean verdict.
    Rejections stand. Two queries per project concerned, plus the saves of what changed.
    """
    numbers = {number for number in id_numbers if number}
    if not numbers:
        return
    members = list(
        Member.objects.filter(id_number__in=numbers)
        .exclude(household__status=HouseholdStatus.APPROVED)
        .select_related("project")
        .order_by("project_id", "id")
    )
    by_project: dict[int, list[Member]] = defaultdict(list)
    for member in members:
        by_project[member.project_id].append(member)
    for project_id, group in by_project.items():
        resettled = resettled_projects_by_id(
            [m.id_number for m in group], exclude_project_id=project_id
        )
        for member in group:
            before = member.verdict_failures
            elsewhere = resettled.get(member.id_number, ())
            apply_verdict(member, member.project, elsewhere)
            if member.verdict_failures == before:
                continue
            flagged = qualification.RESETTLED_ELSEWHERE in member.verdict_failures
            fields = list(_VERDICT_FIELDS)
            reopen = flagged and member.review_status == ReviewStatus.PASSED
            if reopen:
                _withdraw_review(member)
                fields += _REVIEW_FIELDS
            reason = (
                _("已在其他项目安置,重新判定") if flagged else _("其他项目的安置已撤回,重新判定")
            )
            _save_with_reason(member, reason, actor, update_fields=fields)
            if reopen:
                _reopen_review(
                    Household.objects.select_for_update().get(pk=member.household_id),
                    _("成员 %(n)s 已在项目 %(p)s 安置,重新审核")
                    % {"n": member.name, "p": pgettext("list separator", "、").join(elsewhere)},
                    actor,
                )
