"""Transition-subsidy runs (临时安置补助费发放): computing a run, its approval, the bank
batch and result files, arrears, overdue months, and the final statement counting only the
months no run paid (docs/settlement.md, "Transition-subsidy runs")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from households.models import Community, Household, VillagerGroup
from resettlement.audit import AuditEntry
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.imports.base import ImportRejected
from settlement.bank import RESULT_HEADERS
from settlement.models import (
    BankAccount,
    BankAccountStatus,
    Handover,
    Outcome,
    Statement,
    StatementLine,
    SubsidyLineStatus,
    SubsidyMonth,
    SubsidyRun,
    SubsidyRunLine,
    SubsidyRunStatus,
    Transition,
)
from settlement.selectors import subsidy_runs as selectors
from settlement.selectors.statements import statement_is_current
from settlement.services import statements as settlement_statements
from settlement.services import subsidy_runs as runs
from settlement.wording import line_basis
from tests.households.factories import ProjectFactory
from tests.people import make_user
from tests.settlement.factories import make_household, set_price_rules

MOVED_OUT = dt.date(2025, 11, 20)
Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
RATE = Decimal("500.00")


class Setup:
    def __init__(self, leader, clerk, finance):
        self.leader, self.clerk, self.finance = leader, clerk, finance
        self.project = ProjectFactory()
        community = Community.objects.create(project=self.project, code="C1", name="南宫河村")
        self.group = VillagerGroup.objects.create(
            project=self.project, community=community, code="G1", name="第一组"
        )
        set_price_rules(self.project, leader, subsidy_rate=RATE)
        runs.transition_policy_set(
            actor=leader,
            project=self.project,
            schedule="quarterly",
            transition_months=24,
            overdue_multiplier="2.00",
            months_after_handover=0,
        )

    def household(self, code, *, persons=3, moved_out=MOVED_OUT, promised_by=None, account=True):
        household = make_household(self.group, actor=self.clerk, code=code)
        Household.objects.filter(pk=household.pk).update(resettlement_population=persons)
        household.refresh_from_db()
        Transition.objects.create(
            household=household,
            moved_out_on=moved_out,
            promised_by=promised_by,
            recorded_by=self.clerk,
        )
        if account:
            self.account(household)
        return household

    def account(self, household, number="6228480402564890018"):
        return BankAccount.objects.create(
            household=household,
            holder_name="王建国",
            bank_name="中国农业银行安庆分行",
            account_number=number,
            status=BankAccountStatus.CONFIRMED,
            recorded_by=self.clerk,
            confirmed_by=self.finance,
            confirmed_at=timezone.now(),
        )

    def compute(self, period, actor=None):
        return runs.subsidy_run_compute(
            actor=actor or self.finance,
            project=self.project,
            period_start=period[0],
            period_end=period[1],
        )


@pytest.fixture
def setup(leader, clerk, finance_wu):
    return Setup(leader, clerk, finance_wu)


def approve_all(run, chain):
    """The remaining steps of the default chain, each by the person of `chain` for it."""
    while (step := runs.run_next_step(SubsidyRun.objects.get(pk=run.pk))) is not None:
        person = chain.people[step.position - 1]
        runs.subsidy_run_approve(actor=person, run=run, expected_position=step.position)
    run.refresh_from_db()
    return run


def result_csv(rows) -> bytes:
    lines = [",".join(RESULT_HEADERS)]
    for reference, amount, paid, reason, serial in rows:
        lines.append(f"{reference},{amount},{'成功' if paid else '失败'},{reason},{serial}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def pay(run, finance, *, fail=(), on=dt.date(2026, 1, 15)):
    runs.subsidy_run_send(actor=finance, run=run)
    lines = SubsidyRunLine.objects.filter(run=run, status=SubsidyLineStatus.PENDING)
    rows = [
        (
            line.reference,
            f"{line.amount:.2f}",
            line.household.code not in fail,
            "" if line.household.code not in fail else "账户已销户",
            f"B{line.pk:08d}",
        )
        for line in lines
    ]
    return runs.subsidy_run_import_result(
        actor=finance, run=run, data=result_csv(rows), name="回盘.csv", paid_on=on
    )


def line_of(run, household) -> SubsidyRunLine:
    return SubsidyRunLine.objects.get(run=run, household=household)


# -- computing ------------------------------------------------------------------------------------


def test_the_first_run_pays_the_quarter_and_the_months_since_moving_out_as_arrears(setup):
    household = setup.household("H001", persons=3)
    run = setup.compute(Q1)
    line = line_of(run, household)
    # Moved out 20 Nov 2025: months from 20 Nov, 20 Dec (arrears), 20 Jan, Feb, Mar.
    assert (line.first_month, line.last_month) == (dt.date(2025, 11, 1), dt.date(2026, 3, 1))
    assert (line.months, line.arrears_months, line.overdue_months) == (5, 2, 0)
    assert line.amount == Decimal("7500.00")  # 500 × 3 persons × 5 months
    assert line.arrears_amount == Decimal("3000.00")
    assert run.label == "2026年第1季度临时安置补助费"
    assert run.status == SubsidyRunStatus.DRAFT


def test_a_household_without_a_confirmed_account_is_listed_as_blocked_and_paid_later(setup):
    household = setup.household("H001", account=False)
    run = setup.compute(Q1)
    line = line_of(run, household)
    assert line.status == SubsidyLineStatus.BLOCKED
    assert line.blocked_reason == "没有已复核的银行账户"
    assert not SubsidyMonth.objects.filter(household=household).exists()
    assert selectors.batch_rows(run) == []


def test_months_are_paid_by_the_rate_times_the_demolished_area_when_the_rules_say_so(setup):
    set_price_rules(setup.project, setup.leader, subsidy_rate=Decimal("6.50"), subsidy_basis="area")
    household = setup.household("H001")
    line = line_of(setup.compute(Q1), household)
    # 180.50 ㎡ × 6.50 元 × 5 months = 5,866.25
    assert (line.basis, line.quantity, line.amount) == (
        "area",
        Decimal("180.50"),
        Decimal("5866.25"),
    )


def test_a_period_that_is_not_one_of_the_schedule_is_refused(setup):
    setup.household("H001")
    with pytest.raises(RuleViolation) as refused:
        setup.compute((dt.date(2026, 2, 1), dt.date(2026, 4, 30)))
    assert refused.value.details[0]["field"] == "period_start"


def test_a_run_needs_the_project_transition_policy(setup, leader):
    from settlement.models import TransitionPolicy

    TransitionPolicy.objects.filter(project=setup.project).delete()
    with pytest.raises(RuleViolation) as refused:
        setup.compute(Q1)
    assert refused.value.code == "no_transition_policy"


def test_months_starting_on_or_after_the_promised_return_day_are_paid_times_the_multiplier(setup):
    household = setup.household("H001", persons=2, promised_by=dt.date(2026, 2, 20))
    line = line_of(setup.compute(Q1), household)
    # Nov, Dec, Jan normal; 20 Feb and 20 Mar start on/after the promised day: doubled.
    assert (line.months, line.overdue_months) == (5, 2)
    assert line.amount == Decimal("7000.00")  # 500 × 2 × (3 + 2 × 2)
    overdue = SubsidyMonth.objects.filter(household=household, overdue=True).values_list(
        "month", flat=True
    )
    assert sorted(overdue) == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]


def test_without_a_promised_day_the_policy_transition_months_decide_when_months_double(setup):
    runs.transition_policy_set(
        actor=setup.leader,
        project=setup.project,
        schedule="quarterly",
        transition_months=3,
        overdue_multiplier="1.50",
    )
    household = setup.household("H001", persons=1)
    line = line_of(setup.compute(Q1), household)
    # 20 Nov + 3 months = 20 Feb: Feb and Mar at 1.5.
    assert line.overdue_months == 2
    assert line.amount == Decimal("3000.00")  # 500 × (3 + 2 × 1.5)


def test_a_household_handed_over_is_paid_until_the_handover_and_the_months_after_it(setup):
    runs.transition_policy_set(
        actor=setup.leader,
        project=setup.project,
        schedule="quarterly",
        transition_months=24,
        overdue_multiplier="2",
        months_after_handover=1,
    )
    household = setup.household("H001", persons=1)
    Handover.objects.create(
        household=household,
        handed_over_on=dt.date(2026, 1, 5),
        keys=2,
        water_reading=1,
        electricity_reading=1,
        handed_over_by=setup.clerk,
        received_by="王建国",
        signature_record="1",
    )
    line = line_of(setup.compute(Q1), household)
    # Months starting before 5 Feb (handover + 1 month): 20 Nov, 20 Dec, 20 Jan.
    assert (line.months, line.last_month) == (3, dt.date(2026, 1, 1))


def test_recomputing_a_draft_replaces_its_lines_and_a_run_in_approval_is_frozen(setup, chain):
    household = setup.household("H001")
    run = setup.compute(Q1)
    Household.objects.filter(pk=household.pk).update(resettlement_population=4)
    again = setup.compute(Q1)
    assert again.pk == run.pk
    assert line_of(run, household).amount == Decimal("10000.00")
    runs.subsidy_run_approve(actor=chain.reviewer, run=run, expected_position=1)
    with pytest.raises(RuleViolation) as refused:
        setup.compute(Q1)
    assert refused.value.code == "run_frozen"


def test_computing_a_run_takes_the_same_queries_for_ten_households_as_for_one(
    setup, django_assert_max_num_queries
):
    setup.household("H000")
    with transaction.atomic():
        sid = transaction.savepoint()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as one:
            setup.compute(Q1)
        transaction.savepoint_rollback(sid)
    for number in range(1, 11):
        setup.household(f"H{number:03d}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        setup.compute(Q1)


# -- paid at most once ----------------------------------------------------------------------------


def test_a_household_month_cannot_be_held_by_two_lines(setup):
    household = setup.household("H001")
    run = setup.compute(Q1)
    month = SubsidyMonth.objects.filter(household=household).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyMonth.objects.create(
            household=household, month=month.month, line=line_of(run, household)
        )


def test_the_next_run_does_not_pay_months_an_earlier_run_holds(setup):
    household = setup.household("H001")
    setup.compute(Q1)
    line = line_of(setup.compute(Q2), household)
    assert (line.first_month, line.months, line.arrears_months) == (dt.date(2026, 4, 1), 3, 0)


# -- approval -------------------------------------------------------------------------------------


def test_the_run_goes_through_the_chain_steps_for_payments(setup, chain):
    setup.household("H001")
    run = approve_all(setup.compute(Q1), chain)
    assert run.status == SubsidyRunStatus.APPROVED
    assert run.approvals.count() == 7
    assert AuditEntry.objects.filter(action="subsidy_run.approve").count() == 7


def test_whoever_computed_the_run_may_not_approve_it(setup, roles):
    setup.household("H001")
    both = make_user("fin_reviewer", "finance", "reviewer")
    run = setup.compute(Q1, actor=both)
    with pytest.raises(NotAllowed) as refused:
        runs.subsidy_run_approve(actor=both, run=run, expected_position=1)
    assert refused.value.code == "four_eyes"
    assert "补偿协议审核" in refused.value.message


def test_a_refusal_names_the_step_and_the_role_it_needs(setup, chain):
    setup.household("H001")
    run = setup.compute(Q1)
    with pytest.raises(NotAllowed) as refused:
        runs.subsidy_run_approve(actor=chain.company, run=run, expected_position=1)
    assert refused.value.message == "“补偿协议审核”须由审核员审批,您不是审核员。"


def test_one_person_takes_one_step_of_a_run(setup, chain, roles):
    setup.household("H001")
    run = setup.compute(Q1)
    both = make_user("two_hats", "reviewer", "leader")
    runs.subsidy_run_approve(actor=both, run=run, expected_position=1)
    with pytest.raises(NotAllowed) as refused:
        runs.subsidy_run_approve(actor=both, run=run, expected_position=2)
    assert refused.value.code == "separation_of_duties"


def test_a_run_sent_back_is_a_draft_again_and_starts_the_chain_over(setup, chain):
    setup.household("H001")
    run = setup.compute(Q1)
    runs.subsidy_run_approve(actor=chain.reviewer, run=run, expected_position=1)
    runs.subsidy_run_send_back(actor=chain.leader, run=run, reason="人数有误")
    run.refresh_from_db()
    assert (run.status, run.approval_round) == (SubsidyRunStatus.DRAFT, 2)
    assert runs.run_next_step(run).position == 1


# -- the bank -------------------------------------------------------------------------------------


def test_the_batch_is_made_only_from_an_approved_run_with_the_account_as_it_is_then(setup, chain):
    household = setup.household("H001")
    run = setup.compute(Q1)
    with pytest.raises(RuleViolation):
        runs.subsidy_run_send(actor=setup.finance, run=run)
    approve_all(run, chain)
    BankAccount.objects.filter(household=household).update(status=BankAccountStatus.SUPERSEDED)
    setup.account(household, number="6217850100000000001")
    runs.subsidy_run_send(actor=setup.finance, run=run)
    (row,) = selectors.batch_rows(run)
    assert row.account == "6217850100000000001"
    assert row.purpose == "2026年第1季度临时安置补助费"


def test_only_finance_makes_the_batch(setup, chain, leader):
    setup.household("H001")
    run = approve_all(setup.compute(Q1), chain)
    with pytest.raises(NotAllowed):
        runs.subsidy_run_send(actor=leader, run=run)


def test_a_result_file_with_a_wrong_row_changes_nothing(setup, chain):
    household = setup.household("H001")
    other = setup.household("H002")
    run = approve_all(setup.compute(Q1), chain)
    runs.subsidy_run_send(actor=setup.finance, run=run)
    good, bad = line_of(run, household), line_of(run, other)
    data = result_csv(
        [
            (good.reference, f"{good.amount:.2f}", True, "", "B1"),
            (bad.reference, "1.00", True, "", "B2"),
        ]
    )
    with pytest.raises(ImportRejected) as refused:
        runs.subsidy_run_import_result(actor=setup.finance, run=run, data=data, name="r.csv")
    assert [(p.row, p.column) for p in refused.value.details] == [(3, "金额(元)")]
    assert not SubsidyRunLine.objects.filter(run=run, status=SubsidyLineStatus.PAID).exists()


def test_a_failed_bank_row_is_paid_in_the_next_run_as_arrears(setup, chain):
    household = setup.household("H001", persons=3)
    run1 = approve_all(setup.compute(Q1), chain)
    counts = pay(run1, setup.finance, fail={"H001"})
    assert counts == {"paid": 0, "failed": 1, "waiting": 0}
    run1.refresh_from_db()
    assert run1.status == SubsidyRunStatus.CLOSED
    failed = line_of(run1, household)
    assert (failed.status, failed.failure_reason) == (SubsidyLineStatus.FAILED, "账户已销户")
    assert not SubsidyMonth.objects.filter(household=household).exists()
    line = line_of(setup.compute(Q2), household)
    assert (line.months, line.arrears_months) == (8, 5)
    assert line.arrears_amount == Decimal("7500.00")
    assert line.amount == Decimal("12000.00")


def test_a_run_waits_while_a_row_has_no_answer_and_closes_when_the_last_one_comes(setup, chain):
    first = setup.household("H001")
    second = setup.household("H002")
    run = approve_all(setup.compute(Q1), chain)
    runs.subsidy_run_send(actor=setup.finance, run=run)
    a, b = line_of(run, first), line_of(run, second)
    runs.subsidy_run_import_result(
        actor=setup.finance,
        run=run,
        name="1.csv",
        data=result_csv([(a.reference, f"{a.amount:.2f}", True, "", "S1")]),
    )
    run.refresh_from_db()
    assert run.status == SubsidyRunStatus.SENT
    runs.subsidy_run_import_result(
        actor=setup.finance,
        run=run,
        name="2.csv",
        data=result_csv([(b.reference, f"{b.amount:.2f}", True, "", "S2")]),
    )
    run.refresh_from_db()
    assert run.status == SubsidyRunStatus.CLOSED
    paid = selectors.subsidy_paid([first.pk, second.pk])
    assert paid[first.pk] == (Decimal("7500.00"), 5, timezone.localdate())


# -- the final statement --------------------------------------------------------------------------


def test_three_runs_and_the_statement_pay_every_month_exactly_once(setup, chain):
    # 2 persons at 500 元; promised back by 1 Aug 2026: months from 20 Aug on are doubled.
    household = setup.household("H001", persons=2, promised_by=dt.date(2026, 8, 1))
    run1 = approve_all(setup.compute(Q1), chain)
    pay(run1, setup.finance, fail={"H001"})  # Nov–Mar fail: arrears for run 2
    run2 = approve_all(setup.compute(Q2), chain)
    pay(run2, setup.finance)  # Nov–Jun: 8 months
    run3 = approve_all(setup.compute(Q3), chain)
    pay(run3, setup.finance)  # Jul, Aug ×2, Sep ×2
    assert line_of(run2, household).amount == Decimal("8000.00")
    assert line_of(run3, household).amount == Decimal("5000.00")
    # Settled on 10 Dec 2026 (Beijing): 13 months (20 Nov 2025 … 20 Nov 2026), 11 paid by runs;
    # Oct and Nov are left, both overdue: 500 × 2 × 2 × 2.
    with time_machine.travel(dt.datetime(2026, 12, 10, 4, 0, tzinfo=dt.UTC), tick=False):
        with transaction.atomic():
            statement = settlement_statements._compute(
                household, actor=None, outcome=Outcome.MONETISED
            )
        line = StatementLine.objects.get(statement=statement, rule="transition_subsidy")
        assert line.amount == Decimal("4000.00")
        assert line.inputs["months"] == 2
        assert (line.inputs["all_months"], line.inputs["paid_months"]) == (13, 11)
        assert (line.inputs["overdue_months"], line.inputs["multiplier"]) == (2, "2.00")
        assert line_basis(line.rule, line.inputs) == (
            "2 人 × 500.00 元/人·月 × 2 个月(2025-11-20 腾房,计至 2026-12-10)"
            ";共 13 个月,其中 11 个月已由过渡费发放批次发放;其中超期 2 个月按 2.00 倍计"
        )
        paid = sum(
            SubsidyRunLine.objects.filter(household=household, status="paid").values_list(
                "amount", flat=True
            )
        )
        # 9 normal months + 4 overdue months twice: 500 × 2 × (9 + 4 × 2).
        assert paid + line.amount == RATE * 2 * (9 + 4 * 2)


def test_a_run_recomputes_the_draft_statement_and_a_change_of_paid_months_is_noticed(setup):
    household = setup.household("H001", persons=2)
    day = dt.date(2026, 2, 10)
    with time_machine.travel(dt.datetime(2026, 2, 10, 4, 0, tzinfo=dt.UTC), tick=False):
        with transaction.atomic():
            settlement_statements._compute(household, actor=None, outcome=Outcome.MONETISED)
        setup.compute(Q1)
        statement = Statement.objects.get(household=household)
        # The run holds 20 Nov … 20 Feb (4 months so far): the draft's subsidy line is gone.
        assert not statement.lines.filter(rule="transition_subsidy").exists()
        assert statement_is_current(statement, today=day)
        SubsidyMonth.objects.filter(household=household, month=dt.date(2025, 11, 1)).delete()
        assert not statement_is_current(statement, today=day)


def test_a_run_does_not_pay_the_months_a_frozen_statement_counts(setup, chain):
    household = setup.household("H001", persons=2)
    with (
        time_machine.travel(dt.datetime(2026, 2, 10, 4, 0, tzinfo=dt.UTC), tick=False),
        transaction.atomic(),
    ):
        statement = settlement_statements._compute(household, actor=None, outcome=Outcome.MONETISED)
    statement.status = "settled"
    statement.approved_at = statement.settled_at = timezone.now()
    statement.save(update_fields=["status", "approved_at", "settled_at"])
    line = line_of(setup.compute(Q1), household)
    # The statement counted 20 Nov … 20 Jan (3 months): the run pays Feb and Mar.
    assert (line.first_month, line.months) == (dt.date(2026, 2, 1), 2)


# -- the policy -----------------------------------------------------------------------------------


def test_a_policy_with_wrong_figures_is_refused_naming_each_field(setup):
    with pytest.raises(RuleViolation) as refused:
        runs.transition_policy_set(
            actor=setup.leader,
            project=setup.project,
            schedule="weekly",
            transition_months="0",
            overdue_multiplier="0.5",
        )
    fields = {d["field"] for d in refused.value.details}
    assert fields == {"schedule", "transition_months", "overdue_multiplier"}


def test_only_a_leader_sets_the_policy(setup):
    with pytest.raises(NotAllowed):
        runs.transition_policy_set(
            actor=setup.finance,
            project=setup.project,
            schedule="monthly",
            transition_months=12,
            overdue_multiplier="2",
        )
    assert AuditEntry.objects.filter(action="transition_policy.set").count() == 1


def test_only_finance_computes_a_run(setup):
    setup.household("H001")
    with pytest.raises(NotAllowed):
        setup.compute(Q1, actor=setup.leader)
    assert not SubsidyRun.objects.exists()


def test_a_household_whose_account_is_withdrawn_before_the_batch_is_blocked_then(setup, chain):
    household = setup.household("H001")
    run = approve_all(setup.compute(Q1), chain)
    BankAccount.objects.filter(household=household).update(status=BankAccountStatus.SUPERSEDED)
    runs.subsidy_run_send(actor=setup.finance, run=run)
    line = line_of(run, household)
    assert (line.status, line.account_number) == (SubsidyLineStatus.BLOCKED, "")
    assert not SubsidyMonth.objects.filter(household=household).exists()
    run.refresh_from_db()
    assert run.status == SubsidyRunStatus.CLOSED  # nothing left to wait for


def test_the_ledger_reads_what_the_bank_confirmed_and_the_months_runs_hold(setup, chain):
    household = setup.household("H001", persons=1)
    run1 = approve_all(setup.compute(Q1), chain)
    pay(run1, setup.finance, on=dt.date(2026, 4, 2))
    setup.compute(Q2)  # a draft: its months are held, not yet paid
    held = selectors.paid_months([household.pk])[household.pk]
    assert (held[0], held[-1], len(held)) == (dt.date(2025, 11, 1), dt.date(2026, 6, 1), 8)
    confirmed = selectors.paid_months([household.pk], confirmed_only=True)[household.pk]
    assert len(confirmed) == 5
    assert selectors.subsidy_paid([household.pk]) == {
        household.pk: (Decimal("2500.00"), 5, dt.date(2026, 4, 2))
    }


def test_a_run_computed_in_english_is_labelled_in_the_system_language(setup):
    from django.utils import translation

    setup.household("H001", account=False)
    with translation.override("en"):
        run = setup.compute(Q1)
    assert run.label == "2026年第1季度临时安置补助费"
    assert SubsidyRunLine.objects.get(run=run).blocked_reason == "没有已复核的银行账户"
