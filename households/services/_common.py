"""What several service subjects share: saving with the history's who and why, catching a
concurrent registration, sending a household back to review, and change control."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households import gates
from households.models import (
    Household,
    HouseholdStatus,
    Member,
    ReviewStatus,
)
from households.signals import facts_changed, facts_changing
from resettlement.audit import audit_record
from resettlement.errors import RuleViolation


def _save_with_reason(instance: Any, reason: str, actor=None, **save_kwargs: Any) -> None:
    """Save and record in the history who did it and why (also outside a web request)."""
    instance._change_reason = reason
    if actor is not None:
        instance._history_user = actor
    instance.save(**save_kwargs)


@contextmanager
def _concurrent_registration() -> Iterator[None]:
    """The checks above read before writing; if someone else registered the same household
    code or ID number in between, the database constraint catches it and this turns it into
    a message instead of an error page."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise RuleViolation(
            "concurrent_registration",
            _("户编号或身份证号刚被其他人登记,本次未保存。请刷新页面核对后重试。"),
        ) from exc


_REVIEW_FIELDS = [
    "review_status",
    "review_overridden",
    "review_reason",
    "reviewed_by",
    "reviewed_at",
]


_VERDICT_FIELDS = ["verdict_qualified", "verdict_checks", "verdict_failures"]


def _withdraw_review(member: Member) -> None:
    """Set the member back to pending review (does not save)."""
    member.review_status = ReviewStatus.PENDING
    member.review_overridden = False
    member.review_reason = ""
    member.reviewed_by = None
    member.reviewed_at = None


def _reopen_review(
    household: Household, reason: str, actor, *, released: Sequence[str] = ()
) -> list[str]:
    """A change to a member after review or approval sends the household back to review.

    Returns the ID numbers no longer resettled here when the household was approved (its
    members', plus `released`: a member removed, an ID number corrected), [] otherwise: the
    caller passes them to `services.verdicts.refresh_resettled_elsewhere` so the same people's
    verdicts in other projects are recomputed.
    """
    if household.status == HouseholdStatus.REGISTERED:
        return []
    was_approved = household.status == HouseholdStatus.APPROVED
    household.status = HouseholdStatus.REGISTERED
    household.approved_by = None
    household.approved_at = None
    household.approval_opinion = ""
    household.documents_override_reason = ""
    household.resettlement_population = None
    household.entitlement_area = None
    _save_with_reason(household, reason, actor)
    if not was_approved:
        return []
    return [*household.members.values_list("id_number", flat=True), *released]


# The household's own fields that feed the entitlement or a statement (change control);
# every member field does.
HOUSEHOLD_FACT_FIELDS = ("agreement_number", "demolished_area")


def _facts_changing(*, actor, household: Household, fields: Sequence[str], reason: str) -> str:
    """Change control, before anything is saved: on a household under change control
    (`gates.under_change_control`) a written reason is required, and the later stages hear
    `facts_changing` (a receiver may refuse by raising RuleViolation). Returns the reason,
    stripped, or "" when the household is not under change control (nothing more to do)."""
    if not gates.under_change_control(household):
        return ""
    reason = gates.change_reason(household, reason)
    # Saved with the household by whichever save comes next (or by `_facts_changed`).
    household.facts_changed_at = timezone.now()
    facts_changing.send(
        sender=Household, household=household, fields=list(fields), actor=actor, reason=reason
    )
    return reason


def _facts_changed(
    *, actor, household: Household, fields: Sequence[str], reason: str, facts: dict[str, Any]
) -> None:
    """Change control, after the change is saved and the review reopened: the moment kept on
    the household (`facts_changed_at`, set by `_facts_changing`), an audit entry with the
    reason and what changed, and `facts_changed` for the later stages. `reason` is what
    `_facts_changing` returned: "" (not under change control) does nothing."""
    if not reason:
        return
    saved = Household.objects.filter(pk=household.pk, facts_changed_at=household.facts_changed_at)
    if not saved.exists():  # no save of the household came after `_facts_changing`
        _save_with_reason(
            household,
            _("审核后信息变更:%(r)s") % {"r": reason},
            actor,
            update_fields=["facts_changed_at"],
        )
    audit_record(
        actor=actor,
        action="household.facts_change",
        obj=household,
        payload={"household": household.code, "fields": list(fields), "reason": reason, **facts},
    )
    facts_changed.send(
        sender=Household, household=household, fields=list(fields), actor=actor, reason=reason
    )


def _with_reason(text: str, reason: str) -> str:
    """A history change reason, with the written reason of a controlled change appended."""
    return f"{text}:{reason}" if reason else text
