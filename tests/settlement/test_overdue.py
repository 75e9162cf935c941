"""Overdue rights (超期回迁权益): the promised return day by the project's transition policy,
months overdue, the doubled fee from which month, and a leader's switch of an overdue
household to cash — a new statement version, monetised, valued on the policy's day, that goes
through the approval chain again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from resettlement.errors import NotAllowed, RuleViolation
from resettlement.models import AuditEntry
from settlement.models import (
    CashValuationDay,
    OverdueCashSwitch,
    Statement,
    StatementCorrection,
    StatementStatus,
    Transition,
    TransitionPolicy,
)
from settlement.selectors.overdue import overdue_rights, overdue_rights_for
from settlement.services import approvals
from settlement.services import statements as settlement_statements
from settlement.services.overdue import switch_to_cash
from tests.settlement.factories import MOVED_OUT_ON, approve_through, hand_over, settle

pytestmark = pytest.mark.django_db

# Moved out on 20 Nov 2025 with 6 months' transition: promised by 20 May 2026; on
# 1 Sep 2026 the household is 4 months overdue (started months since the promise).
TODAY = dt.date(2026, 9, 1)
PROMISED = dt.date(2026, 5, 20)
REASON = "安置房项目停工,超期三个月以上,户主申请改货币补偿"


@pytest.fixture(autouse=True)
def on_the_first_of_september():
    moment = dt.datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def policy(settlement_project, leader) -> TransitionPolicy:
    return TransitionPolicy.objects.create(
        project=settlement_project.project,
        transition_months=6,
        overdue_multiplier=Decimal("2.00"),
        overdue_cash_option=True,
        cash_valuation_day=CashValuationDay.SWITCH_DAY,
        updated_by=leader,
    )


@pytest.fixture
def waiting(no_apartment, clerk, policy):
    """An overdue household with no apartment drawn and no statement yet."""
    Transition.objects.create(household=no_apartment, moved_out_on=MOVED_OUT_ON, recorded_by=clerk)
    return no_apartment


def test_the_promised_day_comes_from_the_policy_and_the_fee_doubles_from_month_seven(
    household, policy
):
    rights = overdue_rights(household)
    assert rights.promised_on == PROMISED
    assert rights.promised_by_policy
    assert rights.overdue
    assert rights.months_overdue == 4
    assert rights.multiplier == Decimal("2.00")
    assert (rights.multiplied_from_month, rights.multiplied_from) == (7, PROMISED)
    assert rights.may_switch_to_cash


def test_an_explicit_promise_not_yet_past_is_not_overdue(household, policy):
    Transition.objects.filter(household=household).update(promised_by=dt.date(2026, 12, 31))
    rights = overdue_rights(household)
    assert rights.promised_on == dt.date(2026, 12, 31)
    assert not rights.overdue
    assert rights.months_overdue == 0


def test_a_household_with_keys_is_not_overdue(handed_over, policy):
    assert not overdue_rights(handed_over).overdue


def test_the_rights_of_many_households_take_the_same_queries(
    settlement_project, policy, django_assert_num_queries
):
    households = settlement_project.households
    with django_assert_num_queries(6):
        rights = overdue_rights_for(households)
    assert len(rights) == len(households)
    assert all(r.overdue for r in rights.values())


def test_switching_without_a_statement_computes_a_monetised_one_valued_on_the_switch_day(
    waiting, leader
):
    statement = switch_to_cash(actor=leader, household=waiting, reason=REASON)
    assert statement.outcome == "monetised"
    assert statement.status == StatementStatus.DRAFT
    assert statement.inputs["cash_valued_on"] == "2026-09-01"
    assert statement.inputs["cash_valuation_day"] == "switch_day"
    # The wait, and with it the relocation subsidy, ended on the switch day.
    assert statement.inputs["subsidy_until"] == "2026-09-01"
    assert [line.rule for line in statement.lines.all()].count("monetised") == 1


def test_the_policy_may_value_the_switch_on_the_promised_day(waiting, leader, policy):
    policy.cash_valuation_day = CashValuationDay.PROMISED_DAY
    policy.save()
    statement = switch_to_cash(actor=leader, household=waiting, reason=REASON)
    assert statement.inputs["cash_valued_on"] == "2026-05-20"
    switch = OverdueCashSwitch.objects.get(household=waiting)
    assert (switch.valued_on, switch.switched_on) == (PROMISED, TODAY)


def test_a_statement_in_the_chain_becomes_a_new_monetised_version_to_approve_again(
    household, leader, finance_wu, chain, clerk
):
    TransitionPolicy.objects.create(
        project=household.project,
        transition_months=6,
        overdue_cash_option=True,
        updated_by=leader,
    )
    computed = settlement_statements.statement_compute(actor=finance_wu, household=household)
    approving = approve_through(computed, chain, steps=2)
    assert approving.status == StatementStatus.APPROVING

    statement = switch_to_cash(actor=leader, household=household, reason=REASON)
    assert statement.pk == computed.pk
    assert statement.version == approving.version + 1
    assert statement.outcome == "monetised"
    assert statement.status == StatementStatus.DRAFT
    assert statement.approval_round == approving.approval_round + 1
    assert approvals.next_step(statement).position == 1
    rules = {line.rule for line in statement.lines.all()}
    assert "monetised" in rules
    assert "within_entitlement" not in rules  # the apartments are no longer paid for
    switch = OverdueCashSwitch.objects.get(household=household)
    assert switch.given_up_apartments  # the drawn apartments, given up
    # No keys for apartments given up.
    with pytest.raises(RuleViolation) as refused:
        hand_over(household, clerk, settled=False)
    assert refused.value.code == "switched_to_cash"
    with pytest.raises(RuleViolation):
        settlement_statements.outcome_choose(
            actor=finance_wu, household=household, outcome="apartment"
        )


def test_a_settled_statement_is_switched_under_a_correction(household, leader):
    TransitionPolicy.objects.create(
        project=household.project, transition_months=6, overdue_cash_option=True, updated_by=leader
    )
    settled = settle(household)
    statement = switch_to_cash(actor=leader, household=household, reason=REASON)
    assert statement.version == settled.version + 1
    assert statement.status == StatementStatus.DRAFT
    assert statement.outcome == "monetised"
    correction = StatementCorrection.objects.get(household=household)
    assert correction.closed_at is None
    assert correction.reason == REASON


def test_a_policy_without_the_cash_option_refuses_the_switch(waiting, leader, policy):
    policy.overdue_cash_option = False
    policy.save()
    with pytest.raises(RuleViolation) as refused:
        switch_to_cash(actor=leader, household=waiting, reason=REASON)
    assert refused.value.code == "cash_option_not_allowed"
    assert not OverdueCashSwitch.objects.exists()


def test_a_household_not_overdue_is_refused(waiting, leader):
    Transition.objects.filter(household=waiting).update(promised_by=dt.date(2027, 1, 1))
    with pytest.raises(RuleViolation) as refused:
        switch_to_cash(actor=leader, household=waiting, reason=REASON)
    assert refused.value.code == "not_overdue"
    assert not Statement.objects.filter(household=waiting).exists()


def test_a_reason_is_required(waiting, leader):
    with pytest.raises(RuleViolation) as refused:
        switch_to_cash(actor=leader, household=waiting, reason="  ")
    assert refused.value.details[0]["field"] == "reason"


def test_only_a_leader_switches(waiting, finance_wu, clerk):
    for actor in (finance_wu, clerk):
        with pytest.raises(NotAllowed):
            switch_to_cash(actor=actor, household=waiting, reason=REASON)


def test_a_household_switches_once(waiting, leader):
    switch_to_cash(actor=leader, household=waiting, reason=REASON)
    with pytest.raises(RuleViolation) as refused:
        switch_to_cash(actor=leader, household=waiting, reason=REASON)
    assert refused.value.code == "already_switched"


def test_the_switch_is_audited_with_its_reason_and_valuation_day(waiting, leader):
    statement = switch_to_cash(actor=leader, household=waiting, reason=REASON)
    entry = AuditEntry.objects.get(action="overdue.cash_switch")
    assert entry.actor == leader
    assert entry.payload["reason"] == REASON
    assert entry.payload["valued_on"] == "2026-09-01"
    assert entry.payload["version"] == statement.version


def test_the_page_shows_the_rights_and_offers_the_switch_to_a_leader_only(
    waiting, leader, finance_wu
):
    client = Client()
    client.force_login(leader)
    url = f"/staff/settlement/households/{waiting.pk}/"
    html = client.get(url).content.decode()
    assert "超期回迁权益" in html
    assert "已超期 4 个月" in html
    assert "第 7 个月" in html
    assert 'id="cash-switch-form"' in html
    finance = Client()
    finance.force_login(finance_wu)
    assert 'id="cash-switch-form"' not in finance.get(url).content.decode()

    refused = client.post(f"{url}switch-to-cash/", {"reason": ""})
    assert refused.status_code == 200
    response = client.post(f"{url}switch-to-cash/", {"reason": REASON})
    assert response.status_code == 302
    assert "已改为货币补偿" in client.get(url).content.decode()


def test_the_api_lists_the_rights_and_a_leader_switches_there(waiting, leader, finance_wu):
    api = APIClient()
    api.force_authenticate(leader)
    rows = api.get(f"/api/settlement/overdue/?household={waiting.pk}").json()["results"]
    assert rows[0]["overdue"] is True
    assert rows[0]["months_overdue"] == 4
    assert rows[0]["multiplier"] == "2.00"
    assert rows[0]["multiplied_from_month"] == 7
    assert rows[0]["promised_on"] == "2026-05-20"
    assert rows[0]["may_switch_to_cash"] is True
    url = f"/api/settlement/overdue/{rows[0]['id']}/switch-to-cash/"
    finance = APIClient()
    finance.force_authenticate(finance_wu)
    assert finance.post(url, {"reason": REASON}, format="json").status_code == 403
    switched = api.post(url, {"reason": REASON}, format="json")
    assert switched.status_code == 200
    assert switched.json()["outcome"] == "monetised"
    assert switched.json()["cash_valued_on"] == "2026-09-01"


def test_a_household_already_monetised_is_not_switched(waiting, leader, finance_wu):
    settlement_statements.outcome_choose(actor=finance_wu, household=waiting, outcome="monetised")
    assert not overdue_rights(waiting).may_switch_to_cash
    with pytest.raises(RuleViolation) as refused:
        switch_to_cash(actor=leader, household=waiting, reason=REASON)
    assert refused.value.code == "already_monetised"
