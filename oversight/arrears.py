"""The overdue-return ledger's arithmetic: plain inputs in, one household's figures out, month
by month.

No database here: `oversight.services.ledger.ledger_refresh` gathers the inputs (the months
runs and settled statements paid). The months and the overdue multiplier are settlement's
own rule, not a copy: a household's subsidy months are `settlement.calculation.month_starts`
of `subsidy_months` (a started month counts), named by the calendar month they start in
(`month_of`), and a month starting on or after the promised return day
(`promised_return`) counts `subsidy_factor` times — the functions the runs and the
statement use. Money is rounded once per total, half up, to 0.01 元
(`settlement.calculation.money`). The rules, with a worked example: docs/oversight.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from settlement.calculation import (
    add_months,
    money,
    month_of,
    month_starts,
    subsidy_factor,
    subsidy_months,
)

ZERO = Decimal("0.00")

PAID = "paid"  # the bank reported the run's row paid, or the statement was settled
PENDING = "pending"  # in a run's batch, the bank has not answered yet
UNPAID = "unpaid"

RUN = "run"
STATEMENT = "statement"


@dataclass(frozen=True)
class MonthPayment:
    """What paid (or holds) one subsidy month: its share of the paying line (the line's rate ×
    persons or area × the month's factor, unrounded), the day it was paid (None while the
    bank has not answered), and by what: a run (its id) or the settled statement."""

    amount: Decimal
    paid_on: dt.date | None
    source: str  # RUN or STATEMENT
    run_id: int | None = None


@dataclass(frozen=True)
class Month:
    month: dt.date  # the calendar month the subsidy month starts in (first day)
    starts_on: dt.date  # the due day: a month is paid in advance, on the day it starts
    deadline: dt.date  # the due day + the return plan's grace days
    due: bool  # started before the ledger's day: counted as owed
    overdue: bool  # starts on or after the promised return day: counts `factor` times
    factor: Decimal
    owed: Decimal  # unrounded; 0 for a month not yet due (paid ahead)
    paid: Decimal  # unrounded
    paid_on: dt.date | None
    source: str  # RUN, STATEMENT or ""
    run_id: int | None
    status: str  # PAID, PENDING or UNPAID
    days_late: int  # paid: days after the deadline; not paid: days past it so far

    @property
    def paid_late(self) -> bool:
        return self.status == PAID and self.days_late > 0


@dataclass(frozen=True)
class Figures:
    months_in_transition: int
    months_overdue: int
    subsidy_owed: Decimal | None
    subsidy_paid: Decimal
    paid_months: int
    subsidy_arrears: Decimal | None
    subsidy_late: bool  # a due month still unpaid past its deadline
    paid_late_months: int
    days_late_max: int
    days_late_total: int
    months: list[Month] = field(default_factory=list)


def months_overdue(promised_by: dt.date | None, today: dt.date) -> int:
    """Months since the promised return date: 0 until the day after it, then a started
    month counts as a full one. No promised date: never overdue."""
    if promised_by is None:
        return 0
    return subsidy_months(promised_by, today)


def _days_after(day: dt.date, deadline: dt.date) -> int:
    return max(0, (day - deadline).days)


def ledger_figures(
    *,
    moved_out_on: dt.date,
    promised_by: dt.date | None,
    today: dt.date,
    monthly_subsidy: Decimal | None,
    overdue_from: dt.date | None = None,
    multiplier: Decimal = Decimal("1"),
    payments: Mapping[dt.date, MonthPayment] | None = None,
    paid_total: Decimal | None = None,
    grace_days: int = 30,
) -> Figures:
    """One household in transition on `today` (keys not handed over).

    `monthly_subsidy` is the household's subsidy for one month at the current rate (rate ×
    persons, or rate × demolished area), None when the project has no price rules.
    `overdue_from` is the promised return day (the recorded one, else moving out + the
    policy's transition months; None without a policy: no multiplier), from which a month
    counts `multiplier` times. `payments`: by calendar month, what paid or holds it.
    `paid_total`: the amounts actually paid (the paid lines and settled subsidy lines, each
    rounded once); by default the months' shares, rounded once.

    A month is due once it has started before `today` (the months of
    `subsidy_months(moved_out_on, today)`). Owed = Σ due months × monthly × factor, rounded
    once; arrears = Σ the due months not paid, likewise (owed − paid when no month is paid
    ahead). A month's deadline is its first day + `grace_days`: paid after it, it was paid
    late by the days between; unpaid past it, it is late by the days so far."""
    payments = payments or {}
    count = subsidy_months(moved_out_on, today)
    due_starts = month_starts(moved_out_on, count)
    # Months paid ahead (a run pays its whole period): listed after the due ones.
    ahead: list[dt.date] = []
    if payments:
        last_paid = max(payments)
        step = count
        while True:
            start = add_months(moved_out_on, step)
            if month_of(start) > last_paid:
                break
            if month_of(start) in payments:
                ahead.append(start)
            step += 1
    rate = monthly_subsidy if monthly_subsidy is not None else ZERO
    months: list[Month] = []
    for index, start in enumerate(due_starts + ahead):
        due = index < count
        _n, overdue, factor = subsidy_factor([start], overdue_from, multiplier)
        payment = payments.get(month_of(start))
        deadline = start + dt.timedelta(days=grace_days)
        if payment is not None and payment.paid_on is not None:
            status, days = PAID, _days_after(payment.paid_on, deadline)
        else:
            status = PENDING if payment is not None else UNPAID
            days = _days_after(today, deadline) if due else 0
        months.append(
            Month(
                month=month_of(start),
                starts_on=start,
                deadline=deadline,
                due=due,
                overdue=bool(overdue),
                factor=factor,
                owed=rate * factor if due else ZERO,
                paid=payment.amount if status == PAID else ZERO,
                paid_on=payment.paid_on if payment is not None else None,
                source=payment.source if payment is not None else "",
                run_id=payment.run_id if payment is not None else None,
                status=status,
                days_late=days,
            )
        )
    paid_months = [m for m in months if m.status == PAID]
    late = [m for m in months if m.days_late > 0]
    owed = arrears = None
    if monthly_subsidy is not None:
        owed = money(sum((m.owed for m in months), ZERO))
        arrears = money(sum((m.owed for m in months if m.status != PAID), ZERO))
    if paid_total is None:
        paid_total = sum((m.paid for m in paid_months), ZERO)
    return Figures(
        months_in_transition=count,
        months_overdue=months_overdue(promised_by, today),
        subsidy_owed=owed,
        subsidy_paid=money(paid_total),
        paid_months=len(paid_months),
        subsidy_arrears=arrears,
        subsidy_late=monthly_subsidy is not None and any(m.status != PAID for m in late),
        paid_late_months=sum(1 for m in late if m.status == PAID),
        days_late_max=max((m.days_late for m in late), default=0),
        days_late_total=sum(m.days_late for m in late),
        months=months,
    )
