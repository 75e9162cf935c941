"""Reads of the ledger page: the return targets' completion and the stored overdue-return
ledger, each in a fixed number of queries however many households a project has.
Definitions: docs/oversight.md.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from households.models import Household, Project
from households.selectors.registration import head
from oversight.models import LedgerEntry, LedgerRun, ReturnPlan

# -- return targets ----------------------------------------------------------------------------


@dataclass
class TargetRow:
    year: int
    share: int
    needed: int
    achieved: int
    status: str  # "met", "missed" or "open"

    @property
    def achieved_share(self) -> int:
        return 0 if not self.needed else min(100, round(100 * self.achieved / self.needed))


@dataclass
class ReturnProgress:
    plan: ReturnPlan | None
    overdue_ever: int  # the base: households overdue now or returned after the promised date
    returned: int
    targets: list[TargetRow]

    @property
    def returned_share(self) -> int:
        return round(100 * self.returned / self.overdue_ever) if self.overdue_ever else 0


def _overdue_ever(today: dt.date) -> Q:
    promised = F("transition__promised_by")
    return Q(transition__promised_by__isnull=False) & (
        Q(handover__isnull=True, transition__promised_by__lt=today)
        | Q(handover__handed_over_on__gt=promised)
    )


def return_progress(project: Project, today: dt.date | None = None) -> ReturnProgress:
    """The project's plan and each yearly target's completion (three queries). The base is
    every household that is, or was, overdue: promised a return date that passed before its
    keys were handed over (or before `today`, keys still out). A target of year Y counts
    the base's households with keys handed over by 31 December of Y."""
    today = today or timezone.localdate()
    plan = ReturnPlan.objects.filter(project=project).first()
    targets = list(plan.targets.order_by("year")) if plan else []
    base = _overdue_ever(today)
    by_year = {
        f"by_{t.year}": Count(
            "id", filter=base & Q(handover__handed_over_on__lte=dt.date(t.year, 12, 31))
        )
        for t in targets
    }
    totals = Household.objects.filter(project=project).aggregate(
        overdue_ever=Count("id", filter=base),
        returned=Count("id", filter=base & Q(handover__isnull=False)),
        **by_year,
    )
    rows = []
    for t in targets:
        needed = math.ceil(t.share * totals["overdue_ever"] / 100)
        achieved = totals[f"by_{t.year}"]
        if achieved >= needed:
            status = "met"
        elif t.year < today.year:
            status = "missed"
        else:
            status = "open"
        rows.append(TargetRow(t.year, t.share, needed, achieved, status))
    return ReturnProgress(
        plan=plan, overdue_ever=totals["overdue_ever"], returned=totals["returned"], targets=rows
    )


# -- the stored ledger -------------------------------------------------------------------------


def ledger_entries(project: Project, *, overdue_only: bool = True) -> QuerySet[LedgerEntry]:
    """The project's ledger rows with the household, its place, head and team (one query)."""
    entries = LedgerEntry.objects.filter(project=project)
    if overdue_only:
        entries = entries.filter(months_overdue__gt=0)
    return (
        entries.select_related(
            "household__community",
            "household__group",
            "household__team_assignment__team",
            "household__team_assignment__cadre",
        )
        .annotate(head_name=head(household="household"))
        .order_by("-months_overdue", "household__code")
    )


@dataclass(frozen=True)
class LedgerTotals:
    households: int  # in transition, keys not handed over
    overdue: int
    late: int  # subsidy not paid on time (overdue or not)
    owed: Decimal | None  # the overdue households' subsidy owed to date, and paid
    paid: Decimal | None


def ledger_totals(project: Project) -> LedgerTotals:
    """The stored ledger's totals for the project (one query)."""
    totals = LedgerEntry.objects.filter(project=project).aggregate(
        households=Count("id"),
        overdue=Count("id", filter=Q(months_overdue__gt=0)),
        late=Count("id", filter=Q(subsidy_late=True)),
        owed=Sum("subsidy_owed", filter=Q(months_overdue__gt=0)),
        paid=Sum("subsidy_paid", filter=Q(months_overdue__gt=0)),
    )
    return LedgerTotals(**totals)


def last_ledger_run() -> LedgerRun | None:
    return LedgerRun.objects.order_by("-finished_at").first()
