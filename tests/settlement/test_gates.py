"""The settlement gates (settlement/gates.py) and change control after settlement (issue 13):
each step refused, with the household named, when the step before it is missing — and a
settled household changed only under a leader's correction, which produces a new statement
version with its own approval round and payments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from households.models import Household, HouseholdStatus, ReviewStatus
from households.services.registration import household_update
from households.services.review import household_approve, household_send_back
from households.signals import facts_changed, facts_changing
from resettlement.audit import AuditEntry
from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import (
    Handover,
    PaymentDirection,
    Statement,
    StatementCorrection,
    StatementStatus,
)
from settlement.selectors.groups import group_settlement
from settlement.selectors.payments import remaining, signed_paid
from settlement.services import approvals
from settlement.services.corrections import correction_close, correction_open
from settlement.services.payments import payment_record
from settlement.services.statements import statement_compute
from tests.settlement.factories import approve_next, hand_over, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def approvers(reviewer, leader, leader2, finance_wu, finance_zheng, finance_feng, finance_jiang):
    """One person per step of the default chain, in order."""
    return [reviewer, leader, leader2, finance_wu, finance_zheng, finance_feng, finance_jiang]


@pytest.fixture
def computed(settlement_project, household, finance_wu) -> Statement:
    return statement_compute(actor=finance_wu, household=household)


def _approve_all(statement, approvers) -> Statement:
    """Every step that applies to the statement (a payment seven, a collection six), one
    person each, in the order of `approvers`."""
    for person in approvers:
        if approvals.next_step(Statement.objects.get(pk=statement.pk)) is None:
            break
        approve_next(actor=person, statement=statement)
    statement.refresh_from_db()
    assert approvals.next_step(statement) is None
    return statement


def _steps_taken(statement) -> list[str]:
    return list(
        statement.approvals.filter(round=statement.approval_round)
        .order_by("position")
        .values_list("code", flat=True)
    )


def _change_area(household, area: str, *, actor, reason="测绘更正") -> None:
    """What the registry's service does when a household's demolished area changes after a
    gate (households.signals): ask, save, tell."""
    facts_changing.send(
        sender=Household,
        household=household,
        fields=["demolished_area"],
        actor=actor,
        reason=reason,
    )
    Household.objects.filter(pk=household.pk).update(demolished_area=Decimal(area))
    household.refresh_from_db()
    facts_changed.send(
        sender=Household,
        household=household,
        fields=["demolished_area"],
        actor=actor,
        reason=reason,
    )


def _audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


# -- statement computation -------------------------------------------------------------------


def test_a_statement_needs_an_allocation_or_a_monetised_outcome(no_apartment, finance_wu):
    with pytest.raises(RuleViolation) as refused:
        statement_compute(actor=finance_wu, household=no_apartment)
    assert refused.value.code == "no_allocation"
    assert "G11-99" in refused.value.message and "还没有分得安置房" in refused.value.message
    assert not Statement.objects.filter(household=no_apartment).exists()


# -- approval ----------------------------------------------------------------------------------


def test_no_approval_step_after_the_household_was_sent_back(computed, household, reviewer, leader):
    household_send_back(actor=leader, household=household, reason="公示异议成立,重新审核")
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=reviewer, statement=computed)
    assert refused.value.code == "household_not_approved"
    assert refused.value.message == (
        f"户 {household.code} 当前为“已登记”,不是已审批的安置户,不能审批结算单。"
    )
    computed.refresh_from_db()
    assert computed.status == StatementStatus.DRAFT and not computed.approvals.exists()


def test_a_later_step_is_refused_too_once_the_household_is_sent_back(
    computed, household, approvers, leader
):
    approve_next(actor=approvers[0], statement=computed)
    # The household left 已审批 without settlement hearing of it (a send-back through the
    # registry restarts the chain at step 1: see the signal test below). The gate holds at
    # every step of the chain, not only the first.
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.REGISTERED)
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=approvers[1], statement=computed)
    assert refused.value.code == "household_not_approved"
    assert household.code in refused.value.message
    computed.refresh_from_db()
    assert computed.approvals.count() == 1


def test_a_draft_left_on_the_old_area_is_refused_not_silently_recomputed(
    computed, household, reviewer
):
    # The area changed without settlement hearing of it: the draft is stale.
    Household.objects.filter(pk=household.pk).update(demolished_area=Decimal("200.00"))
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=reviewer, statement=computed)
    assert refused.value.code == "statement_stale"
    assert refused.value.message == (
        f"户 {household.code} 的结算单(第 1 版)已不是其计算依据现在得出的结果,"
        "须由财务重新计算后才能审批结算单。"
    )
    computed.refresh_from_db()
    assert computed.version == 1 and computed.inputs["demolished_area"] == "150.00"


def test_an_area_change_makes_a_new_version_of_the_draft(computed, household, clerk):
    _change_area(household, "200.00", actor=clerk)
    computed.refresh_from_db()
    assert computed.version == 2 and computed.status == StatementStatus.DRAFT
    assert computed.inputs["demolished_area"] == "200.00"
    [entry] = _audits("statement.restart")
    assert entry.payload["household"] == household.code
    assert entry.payload["version_before"] == 1 and entry.payload["version"] == 2
    assert entry.payload["fields"] == ["demolished_area"] and entry.payload["reason"] == "测绘更正"


def test_an_area_change_restarts_the_approvals_of_a_statement_in_the_chain(
    computed, household, approvers, clerk
):
    approve_next(actor=approvers[0], statement=computed)
    approve_next(actor=approvers[1], statement=computed)
    _change_area(household, "160.00", actor=clerk)
    computed.refresh_from_db()
    assert computed.status == StatementStatus.DRAFT
    assert computed.approval_round == 2 and computed.version == 2
    # The earlier round stays on record; the chain starts again at step 1.
    assert computed.approvals.filter(round=1).count() == 2
    approval = approve_next(actor=approvers[0], statement=computed)
    assert approval.round == 2 and approval.position == 1
    [entry] = _audits("statement.restart")
    assert entry.payload["status_before"] == "approving" and entry.payload["round"] == 2


def test_a_send_back_heard_through_the_signal_stops_the_statement(
    computed, household, approvers, leader
):
    approve_next(actor=approvers[0], statement=computed)
    # The registry's send-back sends facts_changed (fields ["status"]) itself; a repeat of
    # the signal changes nothing more (one restart, one new round).
    household_send_back(actor=leader, household=household, reason="公示异议成立")
    household.refresh_from_db()
    facts_changed.send(
        sender=Household,
        household=household,
        fields=["status"],
        actor=leader,
        reason="公示异议成立",
    )
    computed.refresh_from_db()
    # Back to draft in a new round, its figures kept but no longer what its inputs give.
    assert computed.status == StatementStatus.DRAFT and computed.approval_round == 2
    assert computed.version == 1
    [entry] = _audits("statement.restart")
    assert entry.payload["recomputed"] is False
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=approvers[0], statement=computed)
    assert refused.value.code == "household_not_approved"
    assert household.code in refused.value.message


# -- payment -----------------------------------------------------------------------------------


def test_no_payment_once_the_household_is_no_longer_approved(
    computed, household, approvers, leader
):
    statement = _approve_all(computed, approvers)
    assert statement.status == StatementStatus.APPROVED
    # The household left 已审批 without settlement hearing of it: the payment gate refuses.
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.REGISTERED)
    with pytest.raises(RuleViolation) as refused:
        payment_record(
            actor=approvers[-1], statement=statement, amount="1.00", idempotency_key="k-1"
        )
    assert refused.value.code == "household_not_approved"
    assert refused.value.message == (
        f"户 {household.code} 当前为“已登记”,不是已审批的安置户,不能登记收付款。"
    )
    # Sent back through the registry: settlement hears it, the approved statement goes back
    # to draft in a new round, and no payment is taken on it.
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.APPROVED)
    household_send_back(actor=leader, household=household, reason="重新审核")
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT and statement.approval_round == 2
    with pytest.raises(RuleViolation) as refused:
        payment_record(
            actor=approvers[-1], statement=statement, amount="1.00", idempotency_key="k-2"
        )
    assert refused.value.code == "not_approved" and household.code in refused.value.message
    assert not statement.payments.exists()


# -- key handover ------------------------------------------------------------------------------


def test_no_keys_before_the_statement_is_settled(computed, household, clerk):
    with pytest.raises(RuleViolation) as refused:
        hand_over(household, clerk, settled=False)
    assert refused.value.code == "not_settled"
    assert refused.value.message == (
        f"户 {household.code} 的结算单尚未结清(当前:待审批),不能交房。"
    )
    assert not Handover.objects.exists()


def test_keys_once_settled(computed, household, clerk):
    settle(household)
    assert hand_over(household, clerk, settled=False).keys == 3


# -- change after settlement -------------------------------------------------------------------


def test_changing_a_settled_households_area_without_a_correction_is_refused(
    settlement_project, household, clerk
):
    statement = settle(household)
    with pytest.raises(RuleViolation) as refused:
        _change_area(household, "200.00", actor=clerk)
    assert refused.value.code == "settled_needs_correction"
    assert refused.value.message == (
        f"户 {household.code} 已结算,须由领导开启更正(写明原因)后才能修改其信息。"
    )
    household.refresh_from_db()
    statement.refresh_from_db()
    assert household.demolished_area == Decimal("150.00")
    assert statement.status == StatementStatus.SETTLED and statement.version == 1


def test_a_correction_makes_a_new_version_with_its_own_approval_round_and_payment(
    settlement_project, household, clerk, leader, approvers
):
    for other in Household.objects.filter(group=household.group).exclude(pk=household.pk):
        settle(other)  # collect first, pay later: the rest of the group is settled
    statement = settle(household)
    settled_net = statement.net
    correction = correction_open(actor=leader, household=household, reason="实测面积更正为200㎡")
    assert correction.settled_version == 1 and correction.settled_net == settled_net
    assert correction.settled_paid == settled_net and correction.settled_lines
    _change_area(household, "200.00", actor=clerk)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT
    assert statement.version == 2 and statement.approval_round == 2
    assert statement.inputs["demolished_area"] == "200.00"
    # 50 ㎡ more at 1,500 元/㎡ of demolished house.
    assert statement.net == settled_net + Decimal("75000.00")
    statement = _approve_all(statement, approvers)
    assert statement.status == StatementStatus.APPROVED
    assert statement.approvals.filter(round=2).count() == 7
    # What remains is the difference, paid in its own payment; then the correction closes.
    assert remaining(statement) == Decimal("75000.00")
    payment, _created = payment_record(
        actor=approvers[-1], statement=statement, amount="75000.00", idempotency_key="corr-1"
    )
    assert payment.direction == PaymentDirection.PAY
    statement.refresh_from_db()
    assert statement.status == StatementStatus.SETTLED
    assert signed_paid(statement) == statement.net
    correction.refresh_from_db()
    assert correction.closed_at is not None
    assert [e.payload["household"] for e in _audits("statement_correction.open")] == [
        household.code
    ]
    assert _audits("statement_correction.close")[0].payload["changed"] is True
    # Closed: the next change is refused again.
    with pytest.raises(RuleViolation):
        _change_area(household, "210.00", actor=clerk)


def test_a_correction_through_the_registry_waits_for_the_household_to_be_approved_again(
    settlement_project, household, clerk, leader, finance_wu, approvers
):
    """The registry's own service, not the signal alone: a reviewed household's area change
    sends it back to the leader, so the reopened statement waits for that approval and for
    finance to recompute it before its new approval round."""
    for other in Household.objects.filter(group=household.group).exclude(pk=household.pk):
        settle(other)  # collect first, pay later: the rest of the group is settled
    statement = settle(household)
    settled_net = statement.net
    # Its members were reviewed (the fixture approved the household without the review).
    household.members.update(review_status=ReviewStatus.PASSED, reviewed_by=approvers[0])
    correction = correction_open(actor=leader, household=household, reason="实测面积更正为200㎡")
    household_update(
        actor=clerk,
        household=household,
        data={"demolished_area": Decimal("200.00")},
        reason="实测面积更正为200㎡",
    )
    household.refresh_from_db()
    statement.refresh_from_db()
    assert household.status != HouseholdStatus.APPROVED  # back to the leader
    assert statement.status == StatementStatus.DRAFT and statement.approval_round == 2
    assert statement.version == 1  # kept, stale: the household gives no statement now
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=approvers[0], statement=statement)
    assert refused.value.code == "household_not_approved"
    household = household_approve(
        actor=leader,
        household=household,
        opinion="面积更正后重新审批",
        documents_override_reason="证件已在首次审批时核验",
    )
    with pytest.raises(RuleViolation) as refused:
        approve_next(actor=approvers[0], statement=statement)
    assert refused.value.code == "statement_stale"
    statement = statement_compute(actor=finance_wu, household=household)
    # The new version: the corrected area, and (the approval recomputed the household's
    # entitlement from its reviewed members) whatever else its inputs give now.
    assert statement.version == 2 and statement.inputs["demolished_area"] == "200.00"
    difference = statement.net - settled_net
    assert difference != 0
    statement = _approve_all(statement, approvers)
    assert remaining(statement) == difference
    pays = difference > 0
    last_step = "transfer_to_household" if pays else "collection_receipt"
    assert _steps_taken(statement)[-1] == last_step
    payment, _created = payment_record(
        actor=approvers[-1], statement=statement, amount=abs(difference), idempotency_key="corr-r"
    )
    assert payment.direction == (PaymentDirection.PAY if pays else PaymentDirection.COLLECT)
    statement.refresh_from_db()
    correction.refresh_from_db()
    assert statement.status == StatementStatus.SETTLED and correction.closed_at is not None


def test_a_correction_that_lowers_the_figures_collects_the_difference_back(
    settlement_project, household, clerk, leader, approvers
):
    statement = settle(household)
    correction_open(actor=leader, household=household, reason="面积多计")
    _change_area(household, "140.00", actor=clerk)
    statement = _approve_all(Statement.objects.get(household=household), approvers)
    assert statement.net < 0 and _steps_taken(statement)[-1] == "collection_receipt"
    assert remaining(statement) == Decimal("-15000.00")
    payment, _created = payment_record(
        actor=approvers[-1], statement=statement, amount="15000.00", idempotency_key="corr-2"
    )
    assert payment.direction == PaymentDirection.COLLECT
    statement.refresh_from_db()
    assert statement.status == StatementStatus.SETTLED
    assert not StatementCorrection.objects.filter(closed_at__isnull=True).exists()


def test_a_corrected_version_goes_through_the_steps_of_what_remains_not_of_its_net(
    settlement_project, household, clerk, leader, approvers
):
    for other in Household.objects.filter(group=household.group).exclude(pk=household.pk):
        settle(other)  # collect first, pay later: the rest of the group is settled
    statement = settle(household)
    collected = -statement.net
    assert collected > 0  # the household paid in on its settled version
    correction_open(actor=leader, household=household, reason="漏测附房10㎡")
    _change_area(household, "160.00", actor=clerk)
    statement = Statement.objects.get(household=household)
    # Still a collection by its net, but less than was collected: 15,000 元 goes back to the
    # household, through the payment steps (a bank payment, a transfer to its account), not
    # through "确认收款入账".
    assert statement.net == -collected + Decimal("15000.00") and statement.net < 0
    assert [s.code for s in approvals.statement_chain(statement)][-2:] == [
        "bank_payment",
        "transfer_to_household",
    ]
    statement = _approve_all(statement, approvers)
    assert statement.status == StatementStatus.APPROVED
    assert _steps_taken(statement)[-2:] == ["bank_payment", "transfer_to_household"]
    assert "collection_receipt" not in _steps_taken(statement)
    assert remaining(statement) == Decimal("15000.00")
    payment, _created = payment_record(
        actor=approvers[-1], statement=statement, amount="15000.00", idempotency_key="corr-3"
    )
    assert payment.direction == PaymentDirection.PAY
    statement.refresh_from_db()
    assert statement.status == StatementStatus.SETTLED
    # The settled statement still shows the steps it went through.
    assert [s.code for s in approvals.statement_chain(statement)][-2:] == [
        "bank_payment",
        "transfer_to_household",
    ]


def test_only_a_leader_opens_a_correction_with_a_reason_on_a_settled_statement(
    settlement_project, household, computed, clerk, finance_wu, leader
):
    with pytest.raises(NotAllowed):
        correction_open(actor=finance_wu, household=household, reason="更正")
    with pytest.raises(RuleViolation) as not_settled:
        correction_open(actor=leader, household=household, reason="更正")
    assert not_settled.value.code == "not_settled" and household.code in not_settled.value.message
    settle(household)
    with pytest.raises(RuleViolation) as no_reason:
        correction_open(actor=leader, household=household, reason="  ")
    assert no_reason.value.details[0]["field"] == "reason"
    correction = correction_open(actor=leader, household=household, reason="更正")
    with pytest.raises(RuleViolation) as twice:
        correction_open(actor=leader, household=household, reason="再次更正")
    assert twice.value.code == "correction_already_open"
    # Nothing changed the figures: the leader closes it.
    correction_close(actor=leader, correction=correction)
    correction.refresh_from_db()
    assert correction.closed_at is not None


# -- the staff page ----------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_leader_opens_a_correction_on_the_household_page(
    settlement_project, household, leader, finance_wu
):
    settle(household)
    url = f"/staff/settlement/households/{household.pk}/"
    page = _client(finance_wu).get(url).content.decode()
    assert "已结算:该户信息不能再修改,须由领导开启更正。" in page
    assert 'id="correction-form"' not in page
    page = _client(leader).get(url).content.decode()
    assert 'id="correction-form"' in page
    empty = _client(leader).post(f"{url}correction/", {"reason": ""})
    assert empty.status_code == 200 and not StatementCorrection.objects.exists()
    response = _client(leader).post(f"{url}correction/", {"reason": "实测面积有误"}, follow=True)
    page = response.content.decode()
    assert "结算后更正进行中" in page and "实测面积有误" in page
    assert 'id="correction-form"' not in page
    assert StatementCorrection.objects.get().opened_by == leader
    assert _client(finance_wu).post(f"{url}correction/", {"reason": "x"}).status_code == 403


def test_a_statements_chain_reads_its_payments_once_not_once_a_step(
    computed, django_assert_num_queries
):
    statement = Statement.objects.select_related("project").get(pk=computed.pk)
    # The project's chain, then the statement's payments (its direction): two queries
    # whatever the number of pay or collect steps.
    with django_assert_num_queries(2):
        chain = approvals.statement_chain(statement)
    # It collects: the first five steps, then the collection's own.
    assert [s.code for s in chain][-2:] == ["company_approval", "collection_receipt"]


def test_a_corrected_version_awaiting_approval_counts_only_the_difference_in_the_group_totals(
    settlement_project, household, clerk, leader
):
    settle(household)
    correction_open(actor=leader, household=household, reason="实测面积更正为200㎡")
    _change_area(household, "200.00", actor=clerk)
    group = group_settlement(household.group)
    row = next(r for r in group.households if r.household.pk == household.pk)
    assert not row.approved
    totals = group.totals
    # 50 ㎡ more at 1,500 元/㎡: that is what approving it will leave to pay, not its whole net.
    assert (totals.awaiting_pay, totals.awaiting_collect) == (Decimal("75000.00"), Decimal("0"))
