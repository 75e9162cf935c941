"""The money beyond the apartment in the demo (issue 14), seeded once as `make run` seeds it:
households' bank accounts confirmed by a second person, two transition-subsidy runs paid
through the chain (a failed bank row paid as arrears in the next, a blocked household, an
overdue household's doubled months), an overdue household switched to cash, and the money
boards published."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from demo.money_publicity import MONEY_KINDS
from demo.subsidy_runs import FAILURE
from oversight.selectors.inbox import inbox
from publicity.models import Publication, PublicationStatus, RenderJob
from publicity.snapshot import content_hash, hashed_document
from resettlement.masking import Mask, mask
from settlement.models import (
    Adjustment,
    AdjustmentKind,
    BankAccount,
    BankAccountStatus,
    Outcome,
    OverdueCashSwitch,
    Statement,
    StatementStatus,
    SubsidyLineStatus,
    SubsidyMonth,
    SubsidyRun,
    SubsidyRunLine,
    SubsidyRunStatus,
    Transition,
)
from tests.demo.seeding import demo_settings, seed
from tests.people import make_user


@pytest.fixture(scope="class")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        output = seed()
        yield output
        transaction.set_rollback(True)  # leave the database empty for the next tests


@pytest.mark.usefixtures("demo_output")
class TestTheDemoMoney:
    def test_bank_accounts_are_confirmed_by_a_second_person_and_two_wait_for_finance(self, db):
        in_transition = Transition.objects.filter(household__project__code="YH2013").count()
        confirmed = BankAccount.objects.filter(status=BankAccountStatus.CONFIRMED)
        assert confirmed.count() == in_transition - 1 > 0
        assert all(a.recorded_by_id != a.confirmed_by_id for a in confirmed)
        # one household's first account and one household's changed card
        assert BankAccount.objects.filter(status=BankAccountStatus.PENDING).count() == 2
        finance = make_user("finance_demo_check", "finance")
        finance_lines = [
            line for p in inbox(finance) for line in p.lines if line.kind == "bank_accounts"
        ]
        assert [line.count for line in finance_lines] == [2]

    def test_two_runs_are_paid_and_the_failed_row_comes_back_as_arrears(self, db):
        first, second = SubsidyRun.objects.filter(project__code="YH2013").order_by("period_start")
        assert first.status == second.status == SubsidyRunStatus.CLOSED
        for run in (first, second):
            approvers = {a.actor.username for a in run.approvals.all()}
            assert len(approvers) == 7 and "finance5" not in approvers
        failed = SubsidyRunLine.objects.get(run=first, status=SubsidyLineStatus.FAILED)
        assert failed.failure_reason == FAILURE
        again = SubsidyRunLine.objects.get(run=second, household=failed.household)
        assert again.status == SubsidyLineStatus.PAID
        assert again.arrears_months >= failed.months
        assert again.first_month == failed.first_month

    def test_the_household_without_a_confirmed_account_is_blocked_not_paid(self, db):
        blocked = SubsidyRunLine.objects.filter(status=SubsidyLineStatus.BLOCKED)
        assert blocked.exists()
        (household,) = {line.household for line in blocked}
        assert not BankAccount.objects.filter(
            household=household, status=BankAccountStatus.CONFIRMED
        ).exists()
        assert not SubsidyMonth.objects.filter(household=household).exists()

    def test_an_overdue_household_s_months_are_paid_at_the_doubled_rate(self, db):
        assert SubsidyMonth.objects.filter(
            overdue=True, line__status=SubsidyLineStatus.PAID
        ).exists()

    def test_an_overdue_household_switched_to_cash_waits_for_approval(self, db, demo_output):
        switch = OverdueCashSwitch.objects.get()
        statement = Statement.objects.get(household=switch.household)
        assert statement.outcome == Outcome.MONETISED
        assert statement.status == StatementStatus.DRAFT
        assert statement.inputs["cash_valued_on"] == switch.valued_on.isoformat()
        assert "switched to cash" in demo_output

    def test_the_money_boards_are_published_by_a_second_leader_and_printed(self, db):
        published = Publication.objects.filter(kind__in=MONEY_KINDS).order_by("pk")
        by_kind = {p.kind: p for p in published}
        assert tuple(by_kind) == MONEY_KINDS
        for publication in published:
            assert publication.status == PublicationStatus.PUBLISHED
            assert publication.created_by.username == "leader2"
            assert publication.published_by.username == "leader"
            assert publication.content_hash == content_hash(hashed_document(publication))
            assert RenderJob.objects.filter(publication=publication).exists()
        results = by_kind["compensation_results"]
        codes = [row[0] for row in results.rows if row[0]]
        publishable = Statement.objects.filter(
            project=results.project,
            status__in=[StatementStatus.APPROVED, StatementStatus.SETTLED],
        ).select_related("household")
        assert codes and sorted(codes) == sorted(s.household.code for s in publishable)
        rewarded = Adjustment.objects.get(kind=AdjustmentKind.REWARD)
        rewards = by_kind["rewards"]
        assert rewards.rows[0][0] == rewarded.household.code
        head = rewarded.household.members.get(relation="head").name
        assert rewards.rows[0][1] == mask(head, Mask.NAME) != head
        assert by_kind["progress"].rows[-1][0] == "合计"
