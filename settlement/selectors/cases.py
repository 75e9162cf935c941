"""Each household's stage in its case, derived from the records of every stage.

Registered with `households.stages.register_stage_reader` in settlement's AppConfig.ready:
settlement is the latest stage and reads all the earlier ones. One query for any number of
households. The stage is the furthest step the records show, on the household's path:

- not approved (never, or sent back to review): its own status, registered or reviewed —
  whatever later records exist were built on an approval that no longer stands;
- approved → published (an entitlement or population roster covering its current approval,
  `publicity.selectors.overview.published_after_approval`, the dashboard's definition) →
  drawn (a binding allocation of a signed lottery session) or monetised (its statement's
  outcome is 货币化安置) → agreement signed (the agreement has a signing date) → settled (the
  statement is 已结清) → handed over (keys handed over) → moved in (a moving-in date).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q

from households.models import Household, HouseholdStatus
from households.stages import Stage, own_stage
from lottery.selectors.sign_off import signed_allocations
from publicity.selectors.overview import published_after_approval
from settlement.models import Outcome, StatementStatus


def household_stages(households: Sequence[Household]) -> dict[int, Stage]:
    """{household id: stage} for the households given: one query whatever their number and
    status, selecting them by their (unique) lookup codes — so the resident's page asks the
    same of a known code and of an unknown one (a household not saved, with that code)."""
    stages = {h.pk: own_stage(h) for h in households}
    if not households:
        return stages
    approved = {h.pk for h in households if h.status == HouseholdStatus.APPROVED}
    rows = (
        Household.objects.filter(lookup_code__in=[h.lookup_code for h in households])
        .annotate(
            published=published_after_approval(),
            drawn=Exists(signed_allocations().filter(household=OuterRef("pk"))),
            signed=Q(agreement__signed_on__isnull=False),
            handed_over=Q(handover__isnull=False),
            moved_in=Q(handover__moved_in_on__isnull=False),
        )
        .values(
            "pk",
            "published",
            "drawn",
            "signed",
            "handed_over",
            "moved_in",
            "statement__outcome",
            "statement__status",
        )
        .order_by()
    )
    for row in rows:
        if row["pk"] in approved:
            stages[row["pk"]] = _furthest(row)
    return stages


def _furthest(row: dict) -> Stage:
    if row["moved_in"]:
        return Stage.MOVED_IN
    if row["handed_over"]:
        return Stage.HANDED_OVER
    if row["statement__status"] == StatementStatus.SETTLED:
        return Stage.SETTLED
    if row["signed"]:
        return Stage.AGREEMENT_SIGNED
    if row["statement__outcome"] == Outcome.MONETISED:
        return Stage.MONETISED
    if row["drawn"]:
        return Stage.DRAWN
    if row["published"]:
        return Stage.PUBLISHED
    return Stage.APPROVED
