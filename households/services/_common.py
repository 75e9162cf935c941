"""What several service subjects share: saving with the history's who and why, catching a
concurrent registration, sending a household back to review,"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from households.models import (
    Household,
    HouseholdStatus,
    Member,
    ReviewStatus,
)
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
) -> None:
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
