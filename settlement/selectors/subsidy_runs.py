"""Reading transition-subsidy runs (临时安置补助费发放): the months runs have paid, what a
household was paid, a run with what its page and the API show, its batch file's rows, and
the periods a project's schedule offers. Writes are `settlement.services.subsidy_runs`'."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, Max, Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from households.models import Project
from settlement.bank import BatchRow
from settlement.calculation import add_months
from settlement.models import (
    SubsidyLineStatus,
    SubsidyMonth,
    SubsidyRun,
    SubsidyRunApproval,
    SubsidyRunLine,
    SubsidySchedule,
)

# Lines in the bank batch: every line but a blocked one.
IN_BATCH = (SubsidyLineStatus.PENDING, SubsidyLineStatus.PAID, SubsidyLineStatus.FAILED)
SCHEDULE_MONTHS = {
    SubsidySchedule.MONTHLY: 1,
    SubsidySchedule.QUARTERLY: 3,
    SubsidySchedule.HALF_YEARLY: 6,
}


def paid_months(
    household_ids: Iterable[int], *, confirmed_only: bool = False
) -> dict[int, list[dt.date]]:
    """The months runs hold for each household (first day of the calendar month each subsidy
    month starts in), in order, in one query: months of lines paid or still waiting for the
    bank's answer (a failed line has released its months), or with `confirmed_only` the months
    of lines the bank has reported paid. The final statement leaves all of them out."""
    months = SubsidyMonth.objects.filter(household_id__in=list(household_ids))
    if confirmed_only:
        months = months.filter(line__status=SubsidyLineStatus.PAID)
    held: dict[int, list[dt.date]] = defaultdict(list)
    for household_id, month in months.order_by("household_id", "month").values_list(
        "household_id", "month"
    ):
        held[household_id].append(month)
    return dict(held)


def subsidy_paid(household_ids: Iterable[int]) -> dict[int, tuple[Decimal, int, dt.date | None]]:
    """What runs have paid each household, the bank having confirmed it: (amount, months,
    last day paid), by household id, in one query. Households never paid are left out."""
    rows = (
        SubsidyRunLine.objects.filter(
            household_id__in=list(household_ids), status=SubsidyLineStatus.PAID
        )
        .values("household_id")
        .annotate(amount=Sum("amount"), months=Sum("months"), last=Max("paid_on"))
    )
    return {r["household_id"]: (r["amount"], r["months"], r["last"]) for r in rows}


def household_lines(household_id: int) -> QuerySet[SubsidyRunLine]:
    """The household's lines of every run, newest first (its page's subsidy table)."""
    return (
        SubsidyRunLine.objects.filter(household_id=household_id)
        .select_related("run")
        .order_by("-run__period_start")
    )


def run_list(project: Project | None = None) -> QuerySet[SubsidyRun]:
    runs = SubsidyRun.objects.select_related("project", "created_by").annotate(
        line_count=Count("lines"), total=Sum("lines__amount")
    )
    if project is not None:
        runs = runs.filter(project=project)
    return runs.order_by("project__code", "-period_start")


def run_detail(pk: int) -> SubsidyRun:
    """A run with its lines (households), approvals and creator, in a fixed number of
    queries."""
    return (
        SubsidyRun.objects.select_related("project", "created_by", "sent_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=SubsidyRunLine.objects.select_related("household").order_by(
                    "household__code"
                ),
            ),
            Prefetch(
                "approvals",
                queryset=SubsidyRunApproval.objects.select_related("actor").order_by(
                    "round", "created_at"
                ),
            ),
        )
        .get(pk=pk)
    )


def batch_rows(run: SubsidyRun) -> list[BatchRow]:
    """The bank batch file's rows: every line of the run but the blocked ones, with the bank
    details written on the line when the file was made, in reference order."""
    lines = SubsidyRunLine.objects.filter(run=run, status__in=IN_BATCH).order_by("reference")
    return [
        BatchRow(
            reference=line.reference,
            holder=line.holder_name,
            bank=line.bank_name,
            account=line.account_number,
            amount=line.amount,
            purpose=run.label,
        )
        for line in lines
    ]


# -- periods ------------------------------------------------------------------------------------


def period_of(schedule: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The schedule's period containing `day`: a calendar month, quarter or half year."""
    length = SCHEDULE_MONTHS[schedule]
    first_month = (day.month - 1) // length * length + 1
    start = dt.date(day.year, first_month, 1)
    return start, add_months(start, length) - dt.timedelta(days=1)


def is_period(schedule: str, start: dt.date, end: dt.date) -> bool:
    return isinstance(start, dt.date) and period_of(schedule, start) == (start, end)


def schedule_periods(schedule: str, around: dt.date, *, before: int = 2, after: int = 1):
    """The schedule's periods around `around` (earlier ones first), as (start, end, label)."""
    length = SCHEDULE_MONTHS[schedule]
    start, _end = period_of(schedule, around)
    periods = []
    for step in range(-before, after + 1):
        first = add_months(start, step * length)
        last = add_months(first, length) - dt.timedelta(days=1)
        periods.append((first, last, period_label(schedule, first)))
    return periods


def period_label(schedule: str, start: dt.date) -> str:
    if schedule == SubsidySchedule.MONTHLY:
        return _("%(y)d年%(m)d月") % {"y": start.year, "m": start.month}
    if schedule == SubsidySchedule.QUARTERLY:
        return _("%(y)d年第%(q)d季度") % {"y": start.year, "q": (start.month - 1) // 3 + 1}
    if start.month == 1:
        return _("%(y)d年上半年") % {"y": start.year}
    return _("%(y)d年下半年") % {"y": start.year}
