"""Reads of the ledger page: the return targets' completion and the stored overdue-return
ledger, each in a fixed number of queries however many households a project has.
Definitions: docs/oversight.md.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from households.models import Household, Project
from households.selectors.registration import head
from oversight.models import (
    LedgerEntry,
    LedgerMonth,
    LedgerMonthStatus,
    LedgerRun,
    ReturnPlan,
)
from settlement.calculation import money
from settlement.models import SubsidyRun, SubsidyRunLine, SubsidySchedule, TransitionPolicy
from settlement.selectors.subsidy_runs import household_lines, period_label, period_of

ZERO = Decimal("0")
DEFAULT_GRACE_DAYS = 30  # as oversight.services.ledger: a project without a return plan

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
    # Every household of the ledger (overdue or not): owed to date, paid, in arrears.
    owed_all: Decimal | None
    paid_all: Decimal | None
    arrears_all: Decimal | None
    in_arrears: int  # households with arrears
    paid_late: int  # households with a month paid after its deadline
    as_of: dt.date | None  # the day of the project's last refresh (None: never refreshed)


def ledger_totals(project: Project) -> LedgerTotals:
    """The stored ledger's totals for the project (one query)."""
    overdue = Q(months_overdue__gt=0)
    totals = LedgerEntry.objects.filter(project=project).aggregate(
        households=Count("id"),
        overdue=Count("id", filter=overdue),
        late=Count("id", filter=Q(subsidy_late=True)),
        owed=Sum("subsidy_owed", filter=overdue),
        paid=Sum("subsidy_paid", filter=overdue),
        owed_all=Sum("subsidy_owed"),
        paid_all=Sum("subsidy_paid"),
        arrears_all=Sum("subsidy_arrears"),
        in_arrears=Count("id", filter=Q(subsidy_arrears__gt=0)),
        paid_late=Count("id", filter=Q(paid_late_months__gt=0)),
        as_of=Max("as_of"),
    )
    return LedgerTotals(**totals)


@dataclass(frozen=True)
class PeriodTotals:
    """A run period's months over the project's ledger households: owed (months due),
    paid (including months of the period paid ahead), arrears (due months not paid)."""

    start: dt.date
    end: dt.date
    label: str
    households: int  # with a month of the period due or paid
    owed: Decimal
    paid: Decimal
    arrears: Decimal
    in_arrears: int
    paid_late: int
    runs: list[SubsidyRun]


def ledger_periods(project: Project) -> list[PeriodTotals]:
    """Per run period (the project's schedule: a month, quarter or half year; quarters
    without a transition policy), newest first: the ledger's months summed (three queries:
    the policy, the periods' aggregate and the project's runs)."""
    policy = TransitionPolicy.objects.filter(project=project).first()
    schedule = policy.schedule if policy is not None else SubsidySchedule.QUARTERLY
    unpaid_due = Q(due=True) & ~Q(status=LedgerMonthStatus.PAID)
    rows = (
        LedgerMonth.objects.filter(entry__project=project)
        .values("period_start")
        .annotate(
            households=Count("entry", distinct=True),
            owed_sum=Sum("owed"),
            paid_sum=Sum("paid"),
            arrears_sum=Sum("owed", filter=unpaid_due),
            in_arrears=Count("entry", distinct=True, filter=unpaid_due & Q(owed__gt=0)),
            paid_late=Count(
                "entry",
                distinct=True,
                filter=Q(status=LedgerMonthStatus.PAID, days_late__gt=0),
            ),
        )
        .order_by("-period_start")
    )
    runs: dict[dt.date, list[SubsidyRun]] = {}
    for run in SubsidyRun.objects.filter(project=project).order_by("number"):
        runs.setdefault(run.period_start, []).append(run)
    periods = []
    for row in rows:
        start, end = period_of(schedule, row["period_start"])
        periods.append(
            PeriodTotals(
                start=start,
                end=end,
                label=period_label(schedule, start),
                households=row["households"],
                owed=money(row["owed_sum"] or ZERO),
                paid=money(row["paid_sum"] or ZERO),
                arrears=money(row["arrears_sum"] or ZERO),
                in_arrears=row["in_arrears"],
                paid_late=row["paid_late"],
                runs=runs.get(start, []),
            )
        )
    return periods


@dataclass
class HouseholdLedger:
    entry: LedgerEntry
    months: list[LedgerMonth]
    lines: list[SubsidyRunLine]  # the household's lines of every run, failed ones too
    grace_days: int


def household_ledger(household_id: int) -> HouseholdLedger | None:
    """A household's ledger entry with its months (the run that paid each) and its lines of
    every run, newest first (four queries); None when it is not in the ledger."""
    entry = (
        LedgerEntry.objects.select_related(
            "project",
            "household__community",
            "household__group",
            "household__team_assignment__team",
            "household__team_assignment__cadre",
        )
        .annotate(head_name=head(household="household"))
        .filter(household_id=household_id)
        .first()
    )
    if entry is None:
        return None
    months = list(entry.months.select_related("run").order_by("-month"))
    lines = list(household_lines(household_id))
    grace = (
        ReturnPlan.objects.filter(project_id=entry.project_id)
        .values_list("subsidy_grace_days", flat=True)
        .first()
    )
    return HouseholdLedger(
        entry=entry,
        months=months,
        lines=lines,
        grace_days=DEFAULT_GRACE_DAYS if grace is None else grace,
    )


def last_ledger_run() -> LedgerRun | None:
    return LedgerRun.objects.order_by("-finished_at").first()
