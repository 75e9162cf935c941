"""The overdue-return ledger's arithmetic: plain inputs in, one household's figures out.

No database here: `oversight.services.ledger.ledger_refresh` gathers the inputs. The rules,
with hand-worked examples, are in docs/oversight.md; months are counted exactly as the
statement counts subsidy months (`settlement.calculation.subsidy_months`: a started month
counts as a full month) and money is rounded once, half up, to 0.01 元
(`settlement.calculation.money`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from settlement.calculation import add_months, money, subsidy_months

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Figures:
    months_in_transition: int
    months_overdue: int
    subsidy_owed: Decimal | None
    subsidy_paid: Decimal
    paid_months: int
    subsidy_late: bool


def months_overdue(promised_by: dt.date | None, today: dt.date) -> int:
    """Months since the promised return date: 0 until the day after it, then a started
    month counts as a full one. No promised date: never overdue."""
    if promised_by is None:
        return 0
    return subsidy_months(promised_by, today)


def ledger_figures(
    *,
    moved_out_on: dt.date,
    promised_by: dt.date | None,
    today: dt.date,
    monthly_subsidy: Decimal | None,
    paid: Decimal = ZERO,
    paid_months: int = 0,
    grace_days: int = 30,
) -> Figures:
    """One household in transition on `today` (keys not handed over).

    `monthly_subsidy` is the household's subsidy for one month (rate × persons, or rate ×
    demolished area), None when the project has no price rules. `paid` and `paid_months`:
    what settled statements paid for the subsidy and for how many months.

    Owed to date = monthly subsidy × months in transition, rounded once. The subsidy is late
    when something is owed beyond what was paid and the first unpaid month started more
    than `grace_days` days before `today`."""
    months = subsidy_months(moved_out_on, today)
    owed = None if monthly_subsidy is None else money(monthly_subsidy * months)
    late = False
    if owed is not None and owed > paid:
        first_unpaid = add_months(moved_out_on, paid_months)
        late = today > first_unpaid + dt.timedelta(days=grace_days)
    return Figures(
        months_in_transition=months,
        months_overdue=months_overdue(promised_by, today),
        subsidy_owed=owed,
        subsidy_paid=money(paid),
        paid_months=paid_months,
        subsidy_late=late,
    )
