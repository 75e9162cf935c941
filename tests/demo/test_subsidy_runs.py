"""The demo's transition-subsidy runs (demo.subsidy_runs): after the settlement stage, the
policy, two quarterly runs approved by the chain (not by the officer who computed them), a
failed bank row paid as arrears in the next run, a blocked household and an overdue one."""

from __future__ import annotations

from django.test import override_settings

from demo.subsidy_runs import FAILURE, seed_subsidy_runs
from settlement.models import SubsidyLineStatus, SubsidyMonth, SubsidyRunLine, SubsidyRunStatus
from tests.demo.seeding import demo_settings, seed


def test_the_demo_pays_two_runs_and_the_failed_row_comes_back_as_arrears(db, tmp_path):
    with override_settings(**demo_settings(tmp_path)):
        seed()
        summary = seed_subsidy_runs(seed=7, users={})
    first, second = summary.runs
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == SubsidyRunStatus.CLOSED
    for run in summary.runs:
        approvers = {a.actor.username for a in run.approvals.all()}
        assert len(approvers) == 7 and "finance5" not in approvers
    failed = SubsidyRunLine.objects.get(run=first, household__code=summary.failed)
    assert (failed.status, failed.failure_reason) == (SubsidyLineStatus.FAILED, FAILURE)
    again = SubsidyRunLine.objects.get(run=second, household__code=summary.failed)
    assert again.status == SubsidyLineStatus.PAID
    assert again.arrears_months >= failed.months
    assert again.first_month == failed.first_month
    blocked = SubsidyRunLine.objects.filter(household__code=summary.blocked)
    assert blocked.exists()
    assert set(blocked.values_list("status", flat=True)) == {SubsidyLineStatus.BLOCKED}
    assert SubsidyMonth.objects.filter(
        household__code=summary.overdue, overdue=True, line__status=SubsidyLineStatus.PAID
    ).exists()
    assert any(summary.overdue in line for line in summary.lines())
