"""Transition-subsidy runs (临时安置补助费发放) in the demo, through the settlement services
as the office would, after the settlement stage (demo.settlement: prices with a subsidy of
500 元 per person a month, every approved household's moving-out day, statements computed,
one group settled and handed over):

- `leader` sets YH2013's transition policy: paid quarterly, 24 months of transition, overdue
  months twice the rate, 6 months more after the keys (Zhejiang 2020 Art. 24), an overdue
  household may switch to cash valued on the switch day (Art. 26);
- `clerk` corrects the promised return day of one household whose statement is still a draft
  to five months ago: its months since then are overdue, paid twice over;
- every household in transition has a confirmed bank account (demo.overdue's bank-account
  stage, before this one) but one, whose account waits for finance's confirmation (blocked:
  listed in the runs, not paid, until its account is confirmed);
- `finance5` computes the run of the previous quarter (every month since moving out: the
  earlier ones as arrears), the seven steps approve it (reviewer, leader, leader2, finance,
  finance2, finance3, finance4: the creator takes no step), `finance4` makes the bank batch
  file and imports the bank's result with one failed row (账户已冻结);
- `finance5` computes the current quarter's run: the failed household's months come back as
  arrears; approved, sent, and the bank's result (all paid) imported.

Call `seed_subsidy_runs` as a later stage of `seed_demo`, after `seed_settlement` and
`demo.overdue.seed_bank_accounts` (it reads the transitions, statements and accounts they
write); it runs inside seed_demo's transaction.
Needs the demo user `finance5` (create_demo_users). Dates: the two quarters are those before
and containing the day of seeding (`resettlement.periods.today`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from demo.households import MAIN_PROJECT_CODE, missing_users, ready_users
from demo.settlement import APPROVERS
from households.models import Project
from resettlement import periods
from settlement import bank
from settlement.models import (
    Statement,
    StatementStatus,
    SubsidyLineStatus,
    SubsidyRun,
    Transition,
)
from settlement.selectors.bank_accounts import confirmed_accounts
from settlement.selectors.subsidy_runs import batch_rows, period_of
from settlement.services import statements as settlement_statements
from settlement.services import subsidy_runs

RUN_MAKER = "finance5"
CASHIER = "finance4"
ROLES = {
    RUN_MAKER: "settlement.compute_statement",
    CASHIER: "settlement.record_payment",
    "leader": "settlement.change_pricerules",
    "clerk": "settlement.change_transition",
}
POLICY = {
    "schedule": "quarterly",
    "transition_months": 24,
    "overdue_multiplier": "2.00",
    "months_after_handover": 6,
    # Zhejiang 2020 Art. 26: an overdue household may switch to cash (demo.overdue).
    "overdue_cash_option": True,
    "cash_valuation_day": "switch_day",
}
FAILURE = "账户已冻结"
OVERDUE_SINCE = 150  # days before the seeding: the overdue household's promised return
BANKS = ("中国农业银行安庆分行", "中国工商银行安庆分行", "安庆农村商业银行")


@dataclass
class SubsidyRunsSummary:
    runs: list[SubsidyRun]
    failed: str | None
    blocked: str | None
    overdue: str | None

    def lines(self) -> list[str]:
        lines = [f"{MAIN_PROJECT_CODE} transition-subsidy runs"]
        for run in self.runs:
            lines.append(f"  {run.label}: {run.lines.count()} lines, {run.get_status_display()}")
        if self.failed:
            lines.append(f"  {self.failed}: failed in the first run, paid as arrears in the next")
        if self.blocked:
            lines.append(f"  {self.blocked}: no confirmed bank account (blocked)")
        if self.overdue:
            lines.append(f"  {self.overdue}: overdue months paid twice the rate")
        return lines


def missing_subsidy_run_users() -> list[str]:
    """What seed_demo checks before it seeds (create_demo_users makes `finance5`)."""
    return missing_users(ROLES)


def _approvers(run: SubsidyRun, users: dict) -> None:
    """Every step, each by the next person of its role who has taken no step and did not
    compute the run."""
    taken = {run.created_by.username}
    while (step := subsidy_runs.run_next_step(SubsidyRun.objects.get(pk=run.pk))) is not None:
        name = next(n for n in APPROVERS[step.role] if n not in taken)
        taken.add(name)
        subsidy_runs.subsidy_run_approve(
            actor=users[name],
            run=run,
            expected_position=step.position,
            comment=f"{step.label}:同意。",
        )


def _result(run: SubsidyRun, *, fail: set[int]) -> bytes:
    """The bank's answer to the run's batch (CSV), failing the rows of households `fail`."""
    lines = [",".join(bank.RESULT_HEADERS)]
    households = dict(run.lines.values_list("reference", "household_id"))
    for number, row in enumerate(batch_rows(run), start=1):
        if households[row.reference] in fail:
            lines.append(f"{row.reference},{row.amount:.2f},失败,{FAILURE},")
        else:
            lines.append(f"{row.reference},{row.amount:.2f},成功,,YH{run.number:02d}{number:06d}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _pay(run: SubsidyRun, users: dict, *, fail: set[int] = frozenset()) -> None:
    _approvers(run, users)
    cashier = users[CASHIER]
    subsidy_runs.subsidy_run_send(actor=cashier, run=run)
    subsidy_runs.subsidy_run_import_result(
        actor=cashier, run=run, data=_result(run, fail=fail), name=f"回盘-{run.number}.csv"
    )


def seed_subsidy_runs(
    *, seed: int, users: dict, progress: Callable[[str], None] = lambda message: None
) -> SubsidyRunsSummary:
    """The main project's policy and two quarterly runs (see the module docstring).
    Deterministic for the households the earlier stages leave: `seed` is not needed."""
    approvers = {name for names in APPROVERS.values() for name in names}
    users = {**users, **ready_users(ROLES, also=approvers)}
    project = Project.objects.get(code=MAIN_PROJECT_CODE)
    subsidy_runs.transition_policy_set(actor=users["leader"], project=project, **POLICY)

    transitions = list(
        Transition.objects.filter(household__project=project)
        .select_related("household")
        .order_by("household__code")
    )
    drafts = set(
        Statement.objects.filter(project=project, status=StatementStatus.DRAFT).values_list(
            "household_id", flat=True
        )
    )
    today = periods.today()
    # The household whose account still waits for finance's confirmation (demo.overdue's
    # bank-account stage): listed in the runs as blocked, not paid.
    confirmed = confirmed_accounts(t.household_id for t in transitions)
    blocked = next((t for t in transitions if t.household_id not in confirmed), None)
    overdue = next(
        (
            t
            for t in transitions
            if t is not blocked
            and t.household_id in drafts
            and t.moved_out_on < today - dt.timedelta(days=OVERDUE_SINCE)
        ),
        None,
    )
    if overdue is not None:
        settlement_statements.transition_record(
            actor=users["clerk"],
            household=overdue.household,
            moved_out_on=overdue.moved_out_on,
            promised_by=today - dt.timedelta(days=OVERDUE_SINCE),
        )
    progress(f"  {MAIN_PROJECT_CODE}: transition policy set")

    current = period_of(POLICY["schedule"], today)
    previous = period_of(POLICY["schedule"], current[0] - dt.timedelta(days=1))
    maker = users[RUN_MAKER]
    first = subsidy_runs.subsidy_run_compute(
        actor=maker, project=project, period_start=previous[0], period_end=previous[1]
    )
    payable = list(
        first.lines.filter(status=SubsidyLineStatus.PENDING)
        .exclude(household_id=overdue.household_id if overdue else None)
        .values_list("household_id", flat=True)
        .order_by("household__code")
    )
    failed = payable[0] if payable else None
    _pay(first, users, fail={failed} if failed else set())
    second = subsidy_runs.subsidy_run_compute(
        actor=maker, project=project, period_start=current[0], period_end=current[1]
    )
    _pay(second, users)
    first.refresh_from_db()
    second.refresh_from_db()
    progress(f"  {MAIN_PROJECT_CODE}: runs {first.label} and {second.label} paid")
    code = {t.household_id: t.household.code for t in transitions}
    return SubsidyRunsSummary(
        runs=[first, second],
        failed=code.get(failed),
        blocked=blocked.household.code if blocked else None,
        overdue=overdue.household.code if overdue else None,
    )
