"""The whole group settled together: a group is settled when every approved household in it
is; totals per group and per project in a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from settlement.selectors import groups
from settlement.selectors.payments import payout_blocker
from settlement.services import payments
from tests.settlement.factories import approve_through, make_household, make_statement, statement_of

pytestmark = pytest.mark.django_db


def pay(actor, household, amount, key):
    return payments.payment_record(
        actor=actor, statement=statement_of(household), amount=Decimal(amount), idempotency_key=key
    )


def test_a_group_is_settled_only_when_every_household_is(money, chain):
    for household in (money.owes, money.owed, money.owed_too):
        approve_through(statement_of(household), chain)
    summary = groups.group_settlement(money.group)
    assert not summary.settled
    assert summary.totals.to_collect == Decimal("20000.00")
    assert summary.totals.to_pay == Decimal("45000.00")
    assert not summary.collections_done

    pay(chain.cashier, money.owes, "20000.00", "k1")
    summary = groups.group_settlement(money.group)
    assert summary.collections_done
    assert summary.totals.collected == Decimal("20000.00")
    assert not summary.settled

    pay(chain.cashier, money.owed, "30000.00", "k2")
    assert not groups.group_settlement(money.group).settled
    pay(chain.cashier, money.owed_too, "15000.00", "k3")
    summary = groups.group_settlement(money.group)
    assert summary.settled
    assert summary.totals.paid == Decimal("45000.00")
    assert summary.totals.pay_outstanding == Decimal("0.00")
    assert [row.state for row in summary.households] == ["settled"] * 3


def test_a_household_without_a_statement_keeps_the_group_open(money, chain):
    approve_through(statement_of(money.elsewhere), chain)
    pay(chain.cashier, money.elsewhere, "8000.00", "k1")
    assert groups.group_settlement(money.other_group).settled
    # A household approved later (say, after an objection) reopens the group.
    late = make_household(money.other_group, actor=chain.reviewer, code="H102")
    summary = groups.group_settlement(money.other_group)
    assert not summary.settled
    assert summary.totals.pending == 1
    assert {row.household.code: row.state for row in summary.households} == {
        "H101": "settled",
        "H102": "none",
    }
    make_statement(late, "0.00")
    approve_through(statement_of(late), chain)  # nothing owed: settled on approval
    assert groups.group_settlement(money.other_group).settled


def test_project_totals_add_up_the_groups(money, chain):
    for household in (money.owes, money.elsewhere):
        approve_through(statement_of(household), chain)
    pay(chain.cashier, money.owes, "5000.00", "k1")
    summary = groups.project_settlement(money.project)
    assert [g.group.code for g in summary.groups] == ["G1", "G2"]
    assert summary.totals.households == 4
    assert summary.totals.pending == 2
    assert summary.totals.to_collect == Decimal("20000.00")
    assert summary.totals.collected == Decimal("5000.00")
    assert summary.totals.to_pay == Decimal("8000.00")
    assert summary.settled_groups == 0


def test_the_project_summary_takes_the_same_queries_whatever_its_size(money, chain):
    with CaptureQueriesContext(connection) as small:
        groups.project_settlement(money.project)
    for n in range(10):
        household = make_household(money.group, actor=chain.reviewer, code=f"X{n:02d}")
        make_statement(household, "100.00")
    with CaptureQueriesContext(connection) as big:
        summary = groups.project_settlement(money.project)
    # The groups' figures are summed by the database: no household rows are read.
    assert [g.totals.households for g in summary.groups] == [13, 1]
    assert summary.totals.households == 14
    assert summary.totals.awaiting_pay >= Decimal("1000.00")
    assert len(big) == len(small) <= 3


def figures(totals) -> tuple:
    return (
        totals.households,
        totals.settled_households,
        totals.pending,
        totals.blocked,
        totals.to_collect,
        totals.collected,
        totals.to_pay,
        totals.paid,
        totals.awaiting_collect,
        totals.awaiting_pay,
    )


def row_by_row(rows) -> tuple:
    """A group's figures added up from the rows its page lists, each household's blocker
    from `payout_blocker`: an oracle for the database's sums, written apart from them."""
    zero = Decimal("0.00")
    approved = [r for r in rows if r.approved]
    waiting = [r.statement.net - r.paid for r in rows if r.statement and not r.approved]
    return (
        len(rows),
        sum(r.settled for r in rows),
        len(rows) - len(approved),
        sum(payout_blocker(r.statement, r.outstanding) is not None for r in rows),
        sum((-r.net for r in approved if r.net < 0), zero),
        sum((-r.paid for r in approved if r.net < 0), zero),
        sum((r.net for r in approved if r.net > 0), zero),
        sum((r.paid for r in approved if r.net > 0), zero),
        sum((-owed for owed in waiting if owed < 0), zero),
        sum((owed for owed in waiting if owed > 0), zero),
    )


def test_the_project_page_sums_each_group_as_its_own_page_adds_its_rows(money, chain):
    """The project summary and a group's page agree, and their sums are what the group's
    rows add up to, at every step: nothing approved, part collected, collected, settled."""

    def agree():
        summary = {g.group.pk: g for g in groups.project_settlement(money.project).groups}
        for group in (money.group, money.other_group):
            one = groups.group_settlement(group)
            assert figures(summary[group.pk].totals) == figures(one.totals)
            assert figures(one.totals) == row_by_row(one.households)
            assert summary[group.pk].collections_done == one.collections_done
            assert summary[group.pk].settled == one.settled
        return summary

    make_household(money.other_group, actor=chain.reviewer, code="H102")  # no statement
    assert not agree()[money.group.pk].collections_done
    for household in (money.owes, money.owed, money.owed_too):
        approve_through(statement_of(household), chain)
    pay(chain.cashier, money.owes, "5000.00", "k1")
    assert not agree()[money.group.pk].collections_done  # still owes a collection
    pay(chain.cashier, money.owes, "15000.00", "k2")
    pay(chain.cashier, money.owed, "30000.00", "k3")
    summary = agree()
    assert summary[money.group.pk].collections_done
    assert summary[money.group.pk].totals.collected == Decimal("20000.00")
    pay(chain.cashier, money.owed_too, "15000.00", "k4")
    assert agree()[money.group.pk].settled
