"""The fund-approval chain: seven steps in order, each by a different person holding the
step's role; the first step freezes the statement, the last approves it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import ApprovalStep, StatementApproval, StatementStatus
from settlement.services import approvals
from settlement.services.approvals import StepSpec
from tests.people import make_user
from tests.settlement.factories import (
    approve_next,
    approve_through,
    make_household,
    make_statement,
    statement_of,
)

pytestmark = pytest.mark.django_db


def test_default_chain_is_the_seven_steps_of_seed_003_and_a_collection_step(money):
    steps = approvals.approval_chain(money.project)
    assert [s.label for s in steps] == [
        "补偿协议审核",
        "分管领导预审",
        "办公室主任审核",
        "分管财务领导审批",
        "公司审批",
        "代理银行付款",
        "补偿款拨付至安置户账户",
        "确认收款入账",
    ]
    assert [s.role for s in steps] == ["reviewer", "leader", "leader"] + ["finance"] * 5
    assert [s.applies_to for s in steps] == ["both"] * 5 + ["pay", "pay", "collect"]
    # Reading the chain writes nothing (a GET never writes); the first approval saves it,
    # once, however often it is asked.
    assert ApprovalStep.objects.filter(project=money.project).count() == 0
    approvals.approval_chain_fix(money.project)
    approvals.approval_chain_fix(money.project)
    assert ApprovalStep.objects.filter(project=money.project).count() == 8
    assert [s.label for s in approvals.approval_chain(money.project)] == [s.label for s in steps]


def test_steps_are_taken_in_order_and_the_last_approves(money, chain):
    statement = statement_of(money.owed)
    for position, person in enumerate(chain.people, start=1):
        approval = approve_next(actor=person, statement=statement, comment=f"同意 {position}")
        assert approval.position == position
        assert approval.actor == person
        assert approval.comment == f"同意 {position}"
        assert approval.at is not None
        statement.refresh_from_db()
        if position < 7:
            assert statement.status == StatementStatus.APPROVING
            assert statement.approved_at is None
    assert statement.status == StatementStatus.APPROVED
    assert statement.approved_at is not None
    assert list(statement.approvals.values_list("label", flat=True))[-1] == "补偿款拨付至安置户账户"


def test_an_over_long_comment_is_refused_and_nothing_is_taken(money, chain):
    statement = statement_of(money.owed)
    too_long = "意" * (approvals.APPROVAL_COMMENT_MAX + 1)
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=chain.reviewer, statement=statement, comment=too_long)
    assert refused.value.details[0]["field"] == "comment"
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT and not statement.approvals.exists()
    at_most = "意" * approvals.APPROVAL_COMMENT_MAX
    approval = approve_next(actor=chain.reviewer, statement=statement, comment=f"  {at_most}  ")
    assert approval.comment == at_most


def test_the_first_step_freezes_the_statement(money, chain):
    statement = statement_of(money.owed)
    assert statement.status == StatementStatus.DRAFT
    approve_next(actor=chain.reviewer, statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING
    try:
        from settlement.services.statements import statement_compute
    except ImportError:  # the statements service is written alongside
        return
    with pytest.raises(RuleViolation):
        statement_compute(actor=chain.finance_leader, household=money.owed)


def test_the_same_person_cannot_take_two_steps(money, chain):
    statement = statement_of(money.owed)
    approve_through(statement, chain, steps=2)
    # The leader who pre-reviewed may not also be the office director.
    with pytest.raises(NotAllowed) as refused:
        approve_next(actor=chain.leader, statement=statement)
    assert refused.value.code == "separation_of_duties"
    assert statement.approvals.count() == 2


def test_one_person_holding_two_roles_still_takes_only_one_step(money, chain, roles):
    both = make_user("two_hats", "reviewer", "leader")
    statement = statement_of(money.owed)
    approve_next(actor=both, statement=statement)
    with pytest.raises(NotAllowed) as refused:
        approve_next(actor=both, statement=statement)
    assert refused.value.code == "separation_of_duties"


def test_the_database_refuses_a_second_step_by_the_same_person(money, chain):
    statement = statement_of(money.owed)
    first = approve_next(actor=chain.reviewer, statement=statement)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementApproval.objects.create(
            statement=statement, position=2, code="x", label="x", actor=first.actor
        )


def test_a_step_needs_its_role(money, chain):
    statement = statement_of(money.owed)
    # The first step is the reviewer's: a finance officer may not take it.
    with pytest.raises(NotAllowed) as refused:
        approve_next(actor=chain.cashier, statement=statement)
    assert refused.value.code == "wrong_role"
    approve_next(actor=chain.reviewer, statement=statement)
    # The second is a leader's.
    with pytest.raises(NotAllowed) as refused:
        approve_next(actor=chain.cashier, statement=statement)
    assert refused.value.code == "wrong_role"
    statement.refresh_from_db()
    assert statement.approvals.count() == 1


def test_a_user_without_the_permission_is_refused(money, outsider):
    with pytest.raises(NotAllowed) as refused:
        approve_next(actor=outsider, statement=statement_of(money.owed))
    assert refused.value.code == "permission_denied"


def test_an_approved_statement_has_no_further_step(money, chain, roles):
    statement = approve_through(statement_of(money.owed), chain)
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=make_user("extra_fin", "finance"), statement=statement)
    assert refused.value.code == "not_approvable"


def test_a_statement_owing_nothing_is_settled_when_approved(money, chain):
    even = make_household(money.group, actor=money.owed.registered_by, code="H009")
    statement = make_statement(even, "0.00")
    statement = approve_through(statement, chain)
    assert statement.status == StatementStatus.SETTLED
    assert statement.settled_at is not None


def test_a_leader_reorders_relabels_and_changes_roles(money, chain, leader):
    steps = approvals.approval_chain_set(
        actor=leader,
        project=money.project,
        steps=[
            StepSpec("finance_check", "财务初审", "finance"),
            StepSpec("leader_sign", "领导签批", "leader"),
        ],
    )
    assert [(s.position, s.label, s.role) for s in steps] == [
        (1, "财务初审", "finance"),
        (2, "领导签批", "leader"),
    ]
    statement = statement_of(money.owed)
    with pytest.raises(NotAllowed):
        approve_next(actor=chain.reviewer, statement=statement)
    approve_next(actor=chain.cashier, statement=statement)
    approve_next(actor=chain.leader, statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED


def test_the_chain_cannot_change_once_a_statement_is_in_it(money, chain, leader):
    approve_next(actor=chain.reviewer, statement=statement_of(money.owed))
    with pytest.raises(RuleViolation) as refused:
        approvals.approval_chain_set(
            actor=leader, project=money.project, steps=[StepSpec("a", "一步", "leader")]
        )
    assert refused.value.code == "chain_in_use"
    assert len(approvals.approval_chain(money.project)) == 8


def test_only_leaders_change_the_chain_and_roles_must_approve(money, chain, clerk, leader):
    with pytest.raises(NotAllowed):
        approvals.approval_chain_set(
            actor=clerk, project=money.project, steps=[StepSpec("a", "一步", "leader")]
        )
    with pytest.raises(RuleViolation) as refused:
        approvals.approval_chain_set(
            actor=leader,
            project=money.project,
            steps=[StepSpec("a", "一步", "clerk"), StepSpec("a", "", "nobody")],
        )
    assert refused.value.code == "invalid_input"
    assert len(refused.value.details) == 4  # clerk can't approve, code twice, no label, no role


# -- with statements computed by the statements service ---------------------------------------


@pytest.fixture
def computed(settlement_project, finance_wu):
    from settlement.services.statements import statement_compute

    household = settlement_project.households[0]
    return statement_compute(actor=finance_wu, household=household)


def test_the_first_step_refuses_a_stale_draft_until_finance_recomputes_it(
    settlement_project, computed, reviewer, leader, finance_wu
):
    from settlement.models import PriceRules
    from settlement.services.statements import statement_compute, statement_refresh

    before = computed.net
    # A price changed without the statement being refreshed: the approver is not asked to
    # approve figures its inputs no longer give, nor are they recomputed behind their back.
    PriceRules.objects.filter(project=settlement_project.project).update(
        demolition_price=Decimal("1600.00")
    )
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=reviewer, statement=computed)
    assert refused.value.code == "statement_stale"
    assert computed.household.code in refused.value.message
    assert "须由财务重新计算" in refused.value.message
    computed.refresh_from_db()
    assert computed.status == StatementStatus.DRAFT and computed.net == before
    statement_compute(actor=finance_wu, household=computed.household)
    approve_next(actor=reviewer, statement=computed)
    computed.refresh_from_db()
    assert computed.status == StatementStatus.APPROVING
    assert computed.net > before and computed.version == 2
    frozen_net, frozen_lines = computed.net, list(computed.lines.values_list("amount", flat=True))
    # From now on nothing recomputes it.
    PriceRules.objects.filter(project=settlement_project.project).update(
        demolition_price=Decimal("9999.00")
    )
    statement_refresh(computed.household)
    approve_next(actor=leader, statement=computed)
    computed.refresh_from_db()
    assert computed.net == frozen_net
    assert list(computed.lines.values_list("amount", flat=True)) == frozen_lines


def test_a_computed_statement_goes_through_the_seven_steps(
    computed, reviewer, leader, leader2, finance_wu, finance_zheng, finance_feng, finance_jiang
):
    people = [reviewer, leader, leader2, finance_wu, finance_zheng, finance_feng, finance_jiang]
    if computed.net <= 0:  # a collection (or nothing owed) has no payment steps
        people = people[: 6 if computed.net < 0 else 5]
    for person in people:
        approve_next(actor=person, statement=computed)
    computed.refresh_from_db()
    assert computed.status in (StatementStatus.APPROVED, StatementStatus.SETTLED)
    assert [a.actor for a in computed.approvals.order_by("position")] == people


# -- the step the approver saw (issue 11, finding 7) ------------------------------------------


def test_an_approval_of_a_step_someone_else_took_is_refused_not_moved_on(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    # Both leaders open the page at step 2; the pre-reviewing leader clicks first.
    approvals.statement_approve(actor=chain.leader, statement=statement, expected_position=2)
    with pytest.raises(RuleViolation) as refused:
        approvals.statement_approve(
            actor=chain.director, statement=statement, expected_position=2, comment="同意"
        )
    assert refused.value.code == "approval_step_changed"
    message = refused.value.message
    assert "第 2 步" in message and "第 3 步“办公室主任审核”" in message and "刷新" in message
    assert refused.value.details[0]["field"] == "expected_position"
    # Step 3, which the director never saw, is not taken; it is still theirs to take.
    statement.refresh_from_db()
    assert sorted(statement.approvals.values_list("position", flat=True)) == [1, 2]
    assert approvals.next_step(statement).position == 3
    third = approvals.statement_approve(
        actor=chain.director, statement=statement, expected_position=3
    )
    assert third.position == 3 and third.actor == chain.director


def test_an_approval_of_a_step_not_yet_reached_is_refused(money, chain):
    statement = statement_of(money.owed)
    with pytest.raises(RuleViolation) as refused:
        approvals.statement_approve(actor=chain.reviewer, statement=statement, expected_position=2)
    assert refused.value.code == "approval_step_changed"
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT and not statement.approvals.exists()


def test_a_refused_stale_approval_writes_no_audit_entry(money, chain):
    from resettlement.models import AuditEntry

    statement = approve_through(statement_of(money.owed), chain, steps=2)
    before = AuditEntry.objects.count()
    with pytest.raises(RuleViolation):
        approvals.statement_approve(actor=chain.director, statement=statement, expected_position=2)
    assert AuditEntry.objects.count() == before
