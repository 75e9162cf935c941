"""Reads of the ledger page: the return targets' completion and the stored overdue-return
ledger, each in a fixed number of queries however many households a project has.
Definitions: docs/oversight.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from households.models import Household, Project
from households.selectors.registration import head
from oversight.arrears import RUN, STATEMENT, Figures, Month, MonthPayment, ledger_figures
from oversight.models import (
    LedgerEntry,
    LedgerMonthSource,
    LedgerMonthStatus,
    LedgerPeriod,
    LedgerRun,
    ReturnPlan,
)
from resettlement import periods
from settlement import calculation
from settlement.models import (
    PriceRules,
    StatementLine,
    StatementStatus,
    SubsidyBasis,
    SubsidyLineStatus,
    SubsidyMonth,
    SubsidyRun,
    SubsidyRunLine,
    SubsidySchedule,
    Transition,
    TransitionPolicy,
)
from settlement.selectors.subsidy_runs import household_lines, period_label

ZERO = Decimal("0")
DEFAULT_GRACE_DAYS = 30  # the subsidy grace of a project without a return plan

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

# Which ledger rows are overdue, in arrears, paid late (docs/oversight.md): the one definition
# the page's list and totals and the API's filters use.
OVERDUE = Q(months_overdue__gt=0)
IN_ARREARS = Q(subsidy_arrears__gt=0)
PAID_LATE = Q(paid_late_months__gt=0)


def ledger_entries(project: Project, *, overdue_only: bool = True) -> QuerySet[LedgerEntry]:
    """The project's ledger rows with the household, its place, head and team (one query)."""
    entries = LedgerEntry.objects.filter(project=project)
    if overdue_only:
        entries = entries.filter(OVERDUE)
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
    overdue = OVERDUE
    totals = LedgerEntry.objects.filter(project=project).aggregate(
        households=Count("id"),
        overdue=Count("id", filter=overdue),
        late=Count("id", filter=Q(subsidy_late=True)),
        owed=Sum("subsidy_owed", filter=overdue),
        paid=Sum("subsidy_paid", filter=overdue),
        owed_all=Sum("subsidy_owed"),
        paid_all=Sum("subsidy_paid"),
        arrears_all=Sum("subsidy_arrears"),
        in_arrears=Count("id", filter=IN_ARREARS),
        paid_late=Count("id", filter=PAID_LATE),
        as_of=Max("as_of"),
    )
    return LedgerTotals(**totals)


@dataclass(frozen=True)
class PeriodTotals:
    """A run period's months over the project's ledger households (stored by the refresh:
    `LedgerPeriod`), with the period's label and its runs."""

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
    without a transition policy), newest first, as of the last refresh (two queries: the
    periods and the project's runs)."""
    runs: dict[dt.date, list[SubsidyRun]] = {}
    for run in SubsidyRun.objects.filter(project=project).order_by("number"):
        runs.setdefault(run.period_start, []).append(run)
    return [
        PeriodTotals(
            start=row.period_start,
            end=row.period_end,
            label=period_label(row.schedule, row.period_start),
            households=row.households,
            owed=row.owed,
            paid=row.paid,
            arrears=row.arrears,
            in_arrears=row.in_arrears,
            paid_late=row.paid_late,
            runs=runs.get(row.period_start, []),
        )
        for row in LedgerPeriod.objects.filter(project=project).order_by("-period_start")
    ]


@dataclass(frozen=True)
class MonthRow:
    month: Month
    run: SubsidyRun | None

    @property
    def status_label(self) -> str:
        return LedgerMonthStatus(self.month.status).label

    @property
    def source_label(self) -> str:
        return LedgerMonthSource(self.month.source).label if self.month.source else ""


@dataclass
class HouseholdLedger:
    entry: LedgerEntry  # the stored row, as of the last refresh
    today: dt.date  # the day the months below are computed for
    figures: Figures
    months: list[MonthRow]  # newest first
    lines: list[SubsidyRunLine]  # the household's lines of every run, failed ones too
    grace_days: int


def household_ledger(household_id: int, today: dt.date | None = None) -> HouseholdLedger | None:
    """A household's months computed from the payments recorded, as of `today` (default
    today; nothing is written), with the run that paid each; its lines of every run; and its
    stored ledger entry. None when the household is not in the ledger. Seven queries."""
    today = today or periods.today()
    entry = (
        LedgerEntry.objects.select_related(
            "project",
            "household__community",
            "household__group",
            "household__transition",
        )
        .annotate(head_name=head(household="household"))
        .filter(household_id=household_id)
        .first()
    )
    if entry is None:
        return None
    transition = entry.household.transition
    inputs = ledger_inputs([transition], project_id=entry.project_id)
    figures, _promised, _schedule = inputs.figures(transition, today)
    lines = list(household_lines(household_id))
    runs = {line.run_id: line.run for line in lines}
    return HouseholdLedger(
        entry=entry,
        today=today,
        figures=figures,
        months=[MonthRow(m, runs.get(m.run_id)) for m in reversed(figures.months)],
        lines=lines,
        grace_days=inputs.grace.get(entry.project_id, DEFAULT_GRACE_DAYS),
    )


def last_ledger_run() -> LedgerRun | None:
    return LedgerRun.objects.order_by("-finished_at").first()


# -- a household's months, from the payments recorded -------------------------------------------


SUBSIDY_RULE = "transition_subsidy"  # settlement.calculation's rule code for the subsidy line


def monthly_subsidy(rules: PriceRules | None, household: Household) -> Decimal | None:
    """The household's subsidy for one month at the current rate, as a run or its statement
    would compute it."""
    if rules is None:
        return None
    if rules.subsidy_basis == SubsidyBasis.AREA:
        return rules.subsidy_rate * calculation.area(household.demolished_area)
    return rules.subsidy_rate * (household.resettlement_population or 0)


def run_payments(
    household_ids: list[int],
) -> tuple[dict[int, dict[dt.date, MonthPayment]], dict[int, Decimal]]:
    """Per household: the months runs hold (paid, or in a batch the bank has not answered —
    a failed row has released its months) with each month's share of its line, the day the
    bank paid it and the run; and the amounts of the paid lines. One query."""
    months: dict[int, dict[dt.date, MonthPayment]] = defaultdict(dict)
    paid_lines: dict[int, dict[int, Decimal]] = defaultdict(dict)
    rows = SubsidyMonth.objects.filter(household_id__in=household_ids).values_list(
        "household_id",
        "month",
        "overdue",
        "line_id",
        "line__status",
        "line__rate",
        "line__quantity",
        "line__multiplier",
        "line__amount",
        "line__paid_on",
        "line__run_id",
    )
    for household, month, overdue, line, status, rate, quantity, times, amount, on, run in rows:
        paid = status == SubsidyLineStatus.PAID
        months[household][month] = MonthPayment(
            amount=rate * quantity * (times if overdue else 1),
            paid_on=on if paid else None,
            source=RUN,
            run_id=run,
        )
        if paid:
            paid_lines[household][line] = amount
    totals = {h: sum(lines.values(), Decimal("0")) for h, lines in paid_lines.items()}
    return months, totals


def statement_payments(
    household_ids: list[int],
) -> tuple[dict[int, dict[dt.date, MonthPayment]], dict[int, Decimal]]:
    """Per household: the months the subsidy line of its settled statement counts
    (`settlement.calculation.statement_subsidy_starts`, the months no run held when it was
    computed), each paid on the day the statement was settled — a statement is paid or
    collected as a whole (settlement.services.payments) — and the lines' amounts. One
    query."""
    months: dict[int, dict[dt.date, MonthPayment]] = defaultdict(dict)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    lines = StatementLine.objects.filter(
        rule=SUBSIDY_RULE,
        statement__status=StatementStatus.SETTLED,
        statement__household_id__in=household_ids,
    ).values_list(
        "statement__household_id", "amount", "inputs", "statement__inputs", "statement__settled_at"
    )
    for household_id, amount, inputs, record, settled_at in lines:
        inputs, record = inputs or {}, record or {}
        totals[household_id] += amount
        quantity = Decimal(str(inputs.get("persons", inputs.get("area", "0"))))
        rate = Decimal(str(inputs.get("rate", "0")))
        overdue_from = record.get("overdue_from")
        multiplier = Decimal(str(record.get("overdue_multiplier", "1")))
        settled_on = timezone.localtime(settled_at).date() if settled_at else None
        for start in calculation.statement_subsidy_starts(record):
            _n, _o, factor = calculation.subsidy_factor(
                [start],
                dt.date.fromisoformat(overdue_from) if overdue_from else None,
                multiplier,
            )
            months[household_id][calculation.month_of(start)] = MonthPayment(
                amount=rate * quantity * factor, paid_on=settled_on, source=STATEMENT
            )
    return months, dict(totals)


@dataclass
class LedgerInputs:
    """What the ledger's arithmetic needs for a set of households in transition, read in five
    queries (price rules, transition policies, grace days, months held by runs, settled
    subsidy lines) whatever their number."""

    rules: dict[int, PriceRules]
    policies: dict[int, TransitionPolicy]
    grace: dict[int, int]
    run_months: dict[int, dict[dt.date, MonthPayment]]
    run_paid: dict[int, Decimal]
    statement_months: dict[int, dict[dt.date, MonthPayment]]
    statement_paid: dict[int, Decimal]

    def figures(
        self, transition: Transition, today: dt.date
    ) -> tuple[Figures, dt.date | None, str]:
        """The household's figures on `today`, its promised return day and its project's run
        schedule. Without a policy no month is multiplied (as the statement computes); with
        one, the runs' rule: the recorded promised date, else moving out + the policy's
        months."""
        household = transition.household
        policy = self.policies.get(household.project_id)
        promised_by, overdue_from = transition.promised_by, None
        if policy is not None:
            promised_by = overdue_from = calculation.promised_return(
                transition.moved_out_on, transition.promised_by, policy.transition_months
            )
        payments = self.statement_months.get(household.pk, {}) | self.run_months.get(
            household.pk, {}
        )
        figures = ledger_figures(
            moved_out_on=transition.moved_out_on,
            promised_by=promised_by,
            today=today,
            monthly_subsidy=monthly_subsidy(self.rules.get(household.project_id), household),
            overdue_from=overdue_from,
            multiplier=policy.overdue_multiplier if policy is not None else Decimal("1"),
            payments=payments,
            paid_total=self.run_paid.get(household.pk, ZERO)
            + self.statement_paid.get(household.pk, ZERO),
            grace_days=self.grace.get(household.project_id, DEFAULT_GRACE_DAYS),
        )
        schedule = policy.schedule if policy is not None else SubsidySchedule.QUARTERLY
        return figures, promised_by, schedule


def ledger_inputs(transitions: list[Transition], project_id: int | None = None) -> LedgerInputs:
    """The inputs of `transitions` (their households preloaded); `project_id` limits the
    project settings read to one project's."""
    households = [t.household_id for t in transitions]
    rules, policies = PriceRules.objects.all(), TransitionPolicy.objects.all()
    plans = ReturnPlan.objects.all()
    if project_id is not None:
        rules, policies = (
            rules.filter(project_id=project_id),
            policies.filter(project_id=project_id),
        )
        plans = plans.filter(project_id=project_id)
    run_months, run_paid = run_payments(households)
    statement_months, statement_paid = statement_payments(households)
    return LedgerInputs(
        rules={r.project_id: r for r in rules},
        policies={p.project_id: p for p in policies},
        grace=dict(plans.values_list("project_id", "subsidy_grace_days")),
        run_months=run_months,
        run_paid=run_paid,
        statement_months=statement_months,
        statement_paid=statement_paid,
    )
