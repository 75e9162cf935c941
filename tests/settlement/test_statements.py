"""Household statements: computed from the registry, the binding allocations and the prices;
recomputed while draft whenever an input changes; frozen once the approval chain starts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from households.models import Household
from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import Handover, Outcome, Statement, StatementStatus
from settlement.selectors import statements as statements_selectors
from settlement.services import prices
from settlement.services import statements as settlement_statements
from tests.lottery.factories import make_participant
from tests.settlement.factories import approve_next

pytestmark = pytest.mark.django_db

# 3 months after the fixture's moving out (2025-11-20): 20 Feb is reached after 3 months.
TODAY = dt.datetime(2026, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# A T90 apartment is 90.37 ㎡: its tier's floor price difference at base price 3,000.
TIER_LINE = {
    "A": ("expenditure", D("5422.20")),
    "B": ("expenditure", D("2711.10")),
    "C": ("income", D("5422.20")),
}


def lines_of(statement: Statement) -> list[tuple[str, str, D]]:
    return [(line.side, line.rule, line.amount) for line in statement.lines.order_by("position")]


@time_machine.travel(TODAY, tick=False)
def test_finance_computes_a_households_statement(settlement_project, finance_wu):
    household = settlement_project.household("H1101")  # entitlement 90 ㎡, one T90
    (apartment,) = settlement_project.apartments_of(household)
    statement = settlement_statements.statement_compute(actor=finance_wu, household=household)

    tier_side, tier_amount = TIER_LINE[apartment.tier]
    expected = [
        ("income", "demolition", D("225000.00")),  # 150.00 × 1,500
        ("income", "transition_subsidy", D("4500.00")),  # 500 × 3 persons × 3 months
        ("expenditure", "within_entitlement", D("270000.00")),  # 90.00 × 3,000
        ("expenditure", "over_area_band_1", D("1665.00")),  # 0.37 × 4,500
        (tier_side, "tier_difference", tier_amount),
    ]
    assert sorted(lines_of(statement)) == sorted(expected)
    income = sum(a for side, _r, a in expected if side == "income")
    expenditure = sum(a for side, _r, a in expected if side == "expenditure")
    assert (statement.income_total, statement.expenditure_total) == (income, expenditure)
    assert statement.net == income - expenditure
    assert statement.status == StatementStatus.DRAFT
    assert statement.version == 1
    assert statement.computed_by == finance_wu
    assert statement.inputs["apartments"][0]["code"] == apartment.code
    assert statement.inputs["subsidy_until"] == "2026-02-10"
    subsidy = statement.lines.get(rule="transition_subsidy")
    assert subsidy.inputs["months"] == 3
    assert subsidy.inputs["moved_out_on"] == "2025-11-20"


def test_statement_lines_are_checked_again_without_writing(settlement_project, finance_wu):
    household = settlement_project.household("H1102")  # T60 + T90: 150 ㎡ entitlement
    statement = settlement_statements.statement_compute(actor=finance_wu, household=household)
    lines = list(statement.lines.order_by("position"))
    rules = [line.rule for line in lines]
    assert "within_entitlement" in rules
    assert "over_area_band_1" in rules
    assert next(line for line in lines if line.rule == "over_area_band_1").amount == D(
        "3330.00"
    )  # 0.74 ㎡ × 4,500
    # The page computes the lines again to say whether the draft is current, writing nothing.
    assert statements_selectors.statement_is_current(statement, today=timezone.localdate())
    statement.refresh_from_db()
    assert Statement.objects.filter(household=household).count() == 1
    assert (statement.version, list(statement.lines.order_by("position"))) == (1, lines)


def test_only_finance_computes(settlement_project, clerk, leader, outsider):
    household = settlement_project.household("H1101")
    for person in (clerk, leader, outsider):
        with pytest.raises(NotAllowed):
            settlement_statements.statement_compute(actor=person, household=household)


def test_recomputing_unchanged_inputs_keeps_the_version(settlement_project, finance_wu):
    household = settlement_project.household("H1101")
    first = settlement_statements.statement_compute(actor=finance_wu, household=household)
    again = settlement_statements.statement_compute(actor=finance_wu, household=household)
    assert again.version == first.version == 1
    assert again.computed_at == first.computed_at


def test_an_adjustment_recomputes_the_draft(settlement_project, finance_wu, finance_zheng):
    household = settlement_project.household("H1101")
    before = settlement_statements.statement_compute(actor=finance_wu, household=household)
    settlement_statements.adjustment_add(
        actor=finance_zheng,
        household=household,
        kind="reward",
        amount="20000.00",
        reason="提前搬迁奖励",
    )
    settlement_statements.adjustment_add(
        actor=finance_zheng,
        household=household,
        kind="deduction",
        amount="1234.56",
        reason="水电费",
    )
    after = Statement.objects.get(household=household)
    assert after.version == 3  # each adjustment is a change
    assert after.income_total == before.income_total + D("20000.00")
    assert after.expenditure_total == before.expenditure_total + D("1234.56")
    assert after.lines.get(rule="reward").label == "奖励:提前搬迁奖励"
    assert after.computed_by == finance_wu  # the system refresh keeps who computed it


def test_an_adjustment_needs_a_reason_and_a_positive_amount(settlement_project, finance_wu, clerk):
    household = settlement_project.household("H1101")
    with pytest.raises(RuleViolation) as refused:
        settlement_statements.adjustment_add(
            actor=finance_wu, household=household, kind="reward", amount="0", reason="  "
        )
    assert {d["field"] for d in refused.value.details} == {"amount", "reason"}
    with pytest.raises(NotAllowed):
        settlement_statements.adjustment_add(
            actor=clerk, household=household, kind="reward", amount="1", reason="奖励"
        )


def test_a_new_moving_out_date_recomputes_the_subsidy(settlement_project, finance_wu, clerk):
    household = settlement_project.household("H1101")
    with time_machine.travel(TODAY, tick=False):
        settlement_statements.statement_compute(actor=finance_wu, household=household)
        transition = settlement_statements.transition_record(
            actor=clerk, household=household, moved_out_on=dt.date(2025, 12, 20)
        )
    assert transition.recorded_by == clerk
    statement = Statement.objects.get(household=household)
    assert statement.version == 2
    subsidy = statement.lines.get(rule="transition_subsidy")
    assert (subsidy.inputs["months"], subsidy.amount) == (2, D("3000.00"))


def test_transition_dates_are_checked(settlement_project, clerk, finance_wu):
    household = settlement_project.household("H1101")
    with pytest.raises(RuleViolation) as refused:
        settlement_statements.transition_record(
            actor=clerk,
            household=household,
            moved_out_on=dt.date(2025, 12, 20),
            promised_by=dt.date(2025, 12, 1),
        )
    assert refused.value.details[0]["field"] == "promised_by"
    with pytest.raises(RuleViolation) as refused:
        settlement_statements.transition_record(
            actor=clerk, household=household, moved_out_on=dt.date(2999, 1, 1)
        )
    assert refused.value.details[0]["field"] == "moved_out_on"
    with pytest.raises(NotAllowed):
        settlement_statements.transition_record(
            actor=finance_wu, household=household, moved_out_on=dt.date(2025, 12, 1)
        )


def test_the_subsidy_ends_at_handover(settlement_project, finance_wu, clerk):
    household = settlement_project.household("H1101")
    with time_machine.travel(TODAY, tick=False):
        settlement_statements.statement_compute(actor=finance_wu, household=household)
        Handover.objects.create(
            household=household,
            handed_over_on=dt.date(2026, 1, 5),
            keys=2,
            water_reading=D("1.00"),
            electricity_reading=D("2.00"),
            handed_over_by=clerk,
            received_by="王建国",
            signature_record="本人签字",
        )
        statement = settlement_statements.statement_refresh(household)
    subsidy = statement.lines.get(rule="transition_subsidy")
    assert subsidy.inputs["until"] == "2026-01-05"
    assert subsidy.inputs["months"] == 2  # 20 Nov → 5 Jan, across the year end
    assert subsidy.amount == D("3000.00")


def test_frozen_once_the_approval_chain_starts(settlement_project, finance_wu, reviewer, leader):
    household = settlement_project.household("H1101")
    statement = settlement_statements.statement_compute(actor=finance_wu, household=household)
    approve_next(actor=reviewer, statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVING
    frozen = (statement.version, statement.net, lines_of(statement))

    # A price change afterwards leaves the statement exactly as approved.
    prices.price_rules_set(
        actor=leader,
        project=settlement_project.project,
        base_price="3500.00",
        unused_area_price="2000.00",
        demolition_price="1800.00",
        monetised_price="5000.00",
        subsidy_rate="600.00",
        bands=[("10", "5000.00"), (None, "7000.00")],
    )
    statement.refresh_from_db()
    assert (statement.version, statement.net, lines_of(statement)) == frozen

    with pytest.raises(RuleViolation) as refused:
        settlement_statements.statement_compute(actor=finance_wu, household=household)
    assert refused.value.code == "statement_frozen"
    assert refused.value.details[0]["field"] == "status"
    with pytest.raises(RuleViolation):
        settlement_statements.adjustment_add(
            actor=finance_wu, household=household, kind="reward", amount="1", reason="迟到的奖励"
        )
    assert settlement_statements.statement_refresh(household).version == frozen[0]


def test_a_price_change_recomputes_every_draft(settlement_project, finance_wu, leader):
    households = settlement_project.households[:3]
    before = {
        h.pk: settlement_statements.statement_compute(actor=finance_wu, household=h).net
        for h in households
    }
    prices.price_rules_set(
        actor=leader,
        project=settlement_project.project,
        base_price="3000.00",
        unused_area_price="2000.00",
        demolition_price="1600.00",  # +100 元/㎡ on 150 ㎡
        monetised_price="5000.00",
        subsidy_rate="500.00",
        tier_a_coefficient="1.02",
        tier_b_coefficient="1.01",
        tier_c_coefficient="0.98",
        bands=[("10", "4500.00"), (None, "6000.00")],
    )
    for household in households:
        statement = Statement.objects.get(household=household)
        assert statement.net == before[household.pk] + D("15000.00")
        assert statement.version == 2


def test_no_statement_without_prices_or_apartments(settlement_project, finance_wu, clerk):
    lp = settlement_project.lp
    waiting = make_participant(
        lp.groups[0], "H1199", {"T90": 1}, actor=clerk, types=lp.types, locked=False
    )
    with pytest.raises(RuleViolation) as refused:
        settlement_statements.statement_compute(actor=finance_wu, household=waiting)
    assert refused.value.code == "no_allocation"
    settlement_project.price_rules.delete()
    with pytest.raises(RuleViolation) as refused:
        settlement_statements.statement_compute(
            actor=finance_wu, household=settlement_project.household("H1101")
        )
    assert refused.value.code == "no_price_rules"
    assert settlement_statements.statement_refresh(settlement_project.household("H1101")) is None


def test_monetised_only_without_a_binding_allocation(settlement_project, finance_wu, leader, clerk):
    lp = settlement_project.lp
    with pytest.raises(RuleViolation) as refused:
        settlement_statements.outcome_choose(
            actor=finance_wu, household=settlement_project.household("H1101"), outcome="monetised"
        )
    assert refused.value.code == "has_allocation"
    assert refused.value.details[0]["field"] == "outcome"

    ticket = make_participant(
        lp.groups[0], "H1198", {"T90": 1}, actor=clerk, types=lp.types, locked=False
    )
    Household.objects.filter(pk=ticket.pk).update(demolished_area=D("100.00"))
    ticket.refresh_from_db()
    statement = settlement_statements.outcome_choose(
        actor=leader, household=ticket, outcome="monetised"
    )
    assert statement.outcome == Outcome.MONETISED
    assert statement.outcome_chosen_by == leader
    assert lines_of(statement) == [
        ("income", "demolition", D("150000.00")),
        ("income", "monetised", D("450000.00")),  # 90.00 ㎡ × 5,000
    ]
    with pytest.raises(NotAllowed):
        settlement_statements.outcome_choose(actor=clerk, household=ticket, outcome="apartment")


# -- selectors ---------------------------------------------------------------------------------


def test_statement_list_and_totals_in_constant_queries(
    settlement_project, finance_wu, django_assert_num_queries
):
    from settlement.selectors import totals

    project = settlement_project.project
    for household in settlement_project.households:
        settlement_statements.statement_compute(actor=finance_wu, household=household)
    with django_assert_num_queries(1):  # statements with household, group, head, money
        statements = list(totals.statement_list(project))
        for statement in statements:
            assert statement.household.group.community.code
            assert statement.head_name
            assert statement.paid == statement.outstanding == 0  # drafts: nothing yet
    assert len(statements) == 12
    with django_assert_num_queries(2):
        by_group = totals.group_totals(project)
    with django_assert_num_queries(1):
        total = totals.project_totals(project)

    everything = list(Statement.objects.filter(project=project))
    assert total.statements == 12
    assert total.income == sum(s.income_total for s in everything)
    assert total.expenditure == sum(s.expenditure_total for s in everything)
    assert total.net == sum(s.net for s in everything) == total.income - total.expenditure
    assert total.paid == total.outstanding == 0
    assert [g.group.code for g in by_group] == ["G11", "G12", "G21", "G22"]
    assert sum(g.totals.income for g in by_group) == total.income
    g11 = [s for s in everything if s.household.group.code == "G11"]
    assert by_group[0].totals.statements == len(g11) == 3
    assert by_group[0].totals.expenditure == sum(s.expenditure_total for s in g11)

    one_group = settlement_project.groups[0]
    assert len(totals.statement_list(project).filter(household__group=one_group)) == 3


# -- the admin -----------------------------------------------------------------------------------


def test_statements_are_read_only_in_the_admin(client, settlement_project, finance_wu):
    statement = settlement_statements.statement_compute(
        actor=finance_wu, household=settlement_project.household("H1101")
    )
    client.force_login(finance_wu)
    listing = client.get("/admin/settlement/statement/")
    assert listing.status_code == 200
    assert "H1101" in listing.content.decode()
    page = client.get(f"/admin/settlement/statement/{statement.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "within_entitlement" in body and "应安置面积内购房款" in body
    assert 'name="_save"' not in body
    for path in ("approvalstep", "statementapproval", "payment", "agreement", "handover"):
        assert client.get(f"/admin/settlement/{path}/").status_code == 200
    assert client.get("/admin/settlement/defectticket/").status_code == 200
    assert client.get("/admin/settlement/statement/add/").status_code == 403
