"""Transition-subsidy run (临时安置补助费发放) over BENCH_SUBSIDY_HOUSEHOLDS households in
transition (5,000 by default).

Builds one project of approved households (made in bulk, not timed), each moved out on
20 November 2025 with a confirmed bank account, the project's prices (500 元 per person a
month) and a quarterly transition policy. Then times

1. the service path: `subsidy_run_compute` for the first quarter of 2026 (every household's
   months since moving out, the overdue ones, a line and a `SubsidyMonth` row per month
   paid, saved) and the bank batch file made from the run's lines (xlsx);
2. the baseline: a bare `bulk_create` of the same lines and month rows into another run.

Target: the service path at most 3 times the baseline.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bench._render_setup import approved_project, bench_user, sizes_for_households
from households.models import Household
from resettlement.roles import ensure_roles
from settlement import bank
from settlement.models import (
    BankAccount,
    BankAccountStatus,
    OverAreaBand,
    PriceRules,
    SubsidyMonth,
    SubsidyRun,
    SubsidyRunLine,
    Transition,
)
from settlement.selectors.subsidy_runs import batch_rows
from settlement.services import subsidy_runs

HOUSEHOLDS = int(os.environ.get("BENCH_SUBSIDY_HOUSEHOLDS", "5000"))
TARGET = 3.0
MOVED_OUT = dt.date(2025, 11, 20)
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def _setup():
    ensure_roles()
    clerk = bench_user("bench_subsidy_clerk", "clerk")
    reviewer = bench_user("bench_subsidy_reviewer", "reviewer")
    leader = bench_user("bench_subsidy_leader", "leader")
    finance = bench_user("bench_subsidy_finance", "finance")
    project = approved_project(
        "SR",
        sizes_for_households(HOUSEHOLDS),
        communities=10,
        groups_per_community=5,
        clerk=clerk,
        reviewer=reviewer,
        leader=leader,
    )
    households = list(Household.objects.filter(project=project).order_by("code"))
    # Every tenth household was promised an early return: some overdue months are doubled.
    Transition.objects.bulk_create(
        [
            Transition(
                household=h,
                moved_out_on=MOVED_OUT,
                promised_by=dt.date(2026, 2, 1) if i % 10 == 0 else None,
                recorded_by=clerk,
            )
            for i, h in enumerate(households)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    BankAccount.objects.bulk_create(
        [
            BankAccount(
                household=h,
                holder_name=f"户主{i}",
                bank_name="中国农业银行安庆分行",
                account_number=f"62284804{i:011d}",
                status=BankAccountStatus.CONFIRMED,
                recorded_by=clerk,
                confirmed_by=finance,
                confirmed_at=now,
            )
            for i, h in enumerate(households)
        ],
        batch_size=2000,
    )
    PriceRules.objects.create(
        project=project,
        base_price=Decimal("3000"),
        unused_area_price=Decimal("2000"),
        monetised_price=Decimal("5000"),
        subsidy_rate=Decimal("500.00"),
        updated_by=leader,
    )
    OverAreaBand.objects.create(project=project, position=1, up_to=None, price=Decimal("4500"))
    with transaction.atomic():
        subsidy_runs.transition_policy_set(
            actor=leader,
            project=project,
            schedule="quarterly",
            transition_months=24,
            overdue_multiplier="2.00",
        )
    return project, finance


def _service(project, finance) -> tuple[SubsidyRun, float, float, int]:
    started = time.perf_counter()
    run = subsidy_runs.subsidy_run_compute(
        actor=finance, project=project, period_start=PERIOD[0], period_end=PERIOD[1]
    )
    computed = time.perf_counter() - started
    data = bank.batch_xlsx(batch_rows(run), title=run.label)
    return run, computed, time.perf_counter() - started, len(data)


def _baseline(project, finance, run: SubsidyRun) -> float:
    lines = list(SubsidyRunLine.objects.filter(run=run).order_by("pk"))
    months = list(SubsidyMonth.objects.filter(line__run=run).order_by("pk"))
    line_of = {line.pk: i for i, line in enumerate(lines)}
    # The bare rows need months of their own (a household-month is held once): the
    # next quarter's, one row per row of the run.
    other = SubsidyRun.objects.create(
        project=project,
        number=run.number + 1,
        label="baseline",
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 6, 30),
        created_by=finance,
        computed_at=timezone.now(),
    )
    for line in lines:
        line.pk = None
        line.run = other
        line.reference = "B" + line.reference
    for month in months:
        month.pk = None
        month.month = month.month.replace(year=2027)
    started = time.perf_counter()
    with transaction.atomic():
        SubsidyRunLine.objects.bulk_create(lines)
        for month in months:
            month.line_id = lines[line_of[month.line_id]].pk
        SubsidyMonth.objects.bulk_create(months)
    return time.perf_counter() - started


def run() -> None:
    started = time.perf_counter()
    project, finance = _setup()
    print(
        f"set-up: {HOUSEHOLDS} households in transition with confirmed accounts"
        f" (made in bulk in {time.perf_counter() - started:.1f} s, not timed below)"
    )
    run_, computed, service, size = _service(project, finance)
    lines = SubsidyRunLine.objects.filter(run=run_).count()
    months = SubsidyMonth.objects.filter(line__run=run_).count()
    assert lines == HOUSEHOLDS, (lines, HOUSEHOLDS)
    baseline = _baseline(project, finance, run_)
    ratio = service / baseline
    print(
        f"subsidy run through the service: {lines} lines, {months} months;"
        f" compute and save {computed:.2f} s, with the bank file (xlsx, {size / 1024:.0f} KB)"
        f" {service:.2f} s"
    )
    print(f"bare bulk_create of the same {lines} lines and {months} months: {baseline:.2f} s")
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"subsidy run vs bulk_create: {ratio:.2f}x (target <= {TARGET:g}x) {verdict}")
