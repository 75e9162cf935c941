"""Issuing, using, transferring, buying back and expiring house tickets (tickets.services;
docs/tickets.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from households import idnumbers
from resettlement.errors import NotAllowed, RuleViolation
from resettlement.models import AuditEntry
from resettlement.periods import today
from settlement.models import Payment, Statement, StatementStatus
from settlement.services.payments import payment_record
from tests.people import make_user
from tests.settlement.factories import make_household
from tests.tickets.factories import (
    approved_statement,
    developer,
    listing,
    set_policy,
    subsidised_statement,
    ticket_project,
    ticketed,
)
from tickets.models import BuyBackReason, HouseTicket, TicketStatus
from tickets.services import tickets

pytestmark = pytest.mark.django_db

D = Decimal
STRANGER_ID = idnumbers.make("330125", dt.date(1980, 1, 1), 123, "M")


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def refused(code: str, ticket: HouseTicket, call) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call()
    assert caught.value.code == code
    assert ticket.number in caught.value.message
    assert ticket.household.code in caught.value.message
    return caught.value


# -- issue ----------------------------------------------------------------------------------


def test_a_monetised_households_ticket_settles_its_approved_statement(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)

    assert ticket.face_value == D("30000.00")
    assert ticket.balance == D("30000.00")
    assert ticket.status == TicketStatus.VALID
    assert ticket.number == f"FP-{tp.project.code}-00001"
    assert len(ticket.verification_code) == 8
    assert ticket.expires_on == dt.date(today().year + 2, today().month, today().day) or (
        today().month == 2 and today().day == 29
    )
    statement = Statement.objects.get(pk=ticket.statement_id)
    assert statement.status == StatementStatus.SETTLED
    payment = Payment.objects.get(statement=statement)
    assert payment.reference == ticket.number
    assert payment.amount == D("30000.00")
    assert AuditEntry.objects.filter(action="ticket.issue").count() == 1
    # The holder is the household's head.
    assert ticket.holder_name == ticket.household.members.get(relation="head").name


def test_the_transition_subsidy_is_left_out_of_the_ticket_and_paid_in_cash(tp, chain, finance_wu):
    household = make_household(tp.group, actor=finance_wu, code="H001")
    statement = subsidised_statement(household, chain, actor=finance_wu)
    subsidy = statement.lines.get(rule="transition_subsidy").amount
    others = sum(line.amount for line in statement.lines.filter(side="income")) - subsidy
    assert subsidy > 0

    ticket = tickets.ticket_issue(actor=finance_wu, statement=statement)

    assert ticket.face_value == others
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED  # the subsidy is still owed in cash
    payment_record(
        actor=finance_wu, statement=statement, amount=subsidy, idempotency_key="cash-subsidy"
    )
    statement.refresh_from_db()
    assert statement.status == StatementStatus.SETTLED


def test_without_exclusions_the_subsidy_is_part_of_the_ticket(leader, chain, finance_wu):
    project, group = ticket_project(leader, excluded_rules=[])
    household = make_household(group, actor=finance_wu, code="H001")
    statement = subsidised_statement(household, chain, actor=finance_wu)

    ticket = tickets.ticket_issue(actor=finance_wu, statement=statement)

    assert ticket.face_value == statement.net


def test_a_ticket_is_issued_once(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    with pytest.raises(RuleViolation) as caught:
        tickets.ticket_issue(actor=finance_wu, statement=ticket.statement)
    assert "H001" in caught.value.message


def test_a_statement_not_yet_approved_gets_no_ticket(tp, finance_wu):
    from tests.settlement.factories import make_statement

    household = make_household(tp.group, actor=finance_wu, code="H001")
    statement = make_statement(household, "30000.00")
    with pytest.raises(RuleViolation) as caught:
        tickets.ticket_issue(actor=finance_wu, statement=statement)
    assert caught.value.code == "not_approved"
    assert "H001" in caught.value.message


def test_a_household_resettled_in_an_apartment_gets_no_ticket(tp, chain, finance_wu):
    household = make_household(tp.group, actor=finance_wu, code="H001")
    statement = approved_statement(household, "30000.00", chain)
    Statement.objects.filter(pk=statement.pk).update(outcome="apartment")
    statement.refresh_from_db()
    with pytest.raises(RuleViolation) as caught:
        tickets.ticket_issue(actor=finance_wu, statement=statement)
    assert caught.value.code == "not_monetised"


def test_a_project_without_a_ticket_policy_issues_no_ticket(money, chain, finance_wu):
    from tests.settlement.factories import approve_through, statement_of

    statement = approve_through(statement_of(money.elsewhere), chain)
    with pytest.raises(RuleViolation) as caught:
        tickets.ticket_issue(actor=finance_wu, statement=statement)
    assert caught.value.code == "no_ticket_policy"


def test_a_clerk_cannot_issue_a_ticket(tp, chain, clerk, finance_wu):
    household = make_household(tp.group, actor=finance_wu, code="H001")
    statement = approved_statement(household, "30000.00", chain)
    with pytest.raises(NotAllowed) as caught:
        tickets.ticket_issue(actor=clerk, statement=statement)
    assert "H001" in caught.value.message
    assert not HouseTicket.objects.exists()


# -- purchases ------------------------------------------------------------------------------


def test_a_purchase_in_the_first_year_is_credited_5_percent(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)

    purchase = tickets.ticket_purchase(
        actor=finance_wu,
        ticket=ticket,
        listing=tp.listing,
        contract_number="HT-2026-001",
        amount="10500.00",
    )

    assert (purchase.face_used, purchase.reward, purchase.reward_percent) == (
        D("10000.00"),
        D("500.00"),
        D("5.00"),
    )
    ticket.refresh_from_db()
    assert ticket.balance == D("20000.00")
    assert ticket.reward_total == D("500.00")
    tp.listing.refresh_from_db()
    assert tp.listing.available == 19


def test_a_purchase_in_month_14_is_credited_2_percent_and_may_use_the_whole_ticket(
    tp, chain, finance_wu
):
    ticket = ticketed(
        tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu, on=days_ago(400)
    )

    purchase = tickets.ticket_purchase(
        actor=finance_wu,
        ticket=ticket,
        listing=tp.listing,
        contract_number="HT-2026-002",
        amount="30600.00",
    )

    assert purchase.month == 14
    assert purchase.reward == D("600.00")
    ticket.refresh_from_db()
    assert ticket.balance == 0
    assert ticket.status == TicketStatus.USED
    refused(
        "ticket_not_valid",
        ticket,
        lambda: tickets.ticket_purchase(
            actor=finance_wu,
            ticket=ticket,
            listing=tp.listing,
            contract_number="HT-2026-003",
            amount="1.00",
        ),
    )


def test_a_purchase_beyond_the_balance_with_its_reward_is_refused(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    error = refused(
        "beyond_balance",
        ticket,
        lambda: tickets.ticket_purchase(
            actor=finance_wu,
            ticket=ticket,
            listing=tp.listing,
            contract_number="HT-1",
            amount="31500.01",
        ),
    )
    assert "31,500.00" in error.message


def test_an_expired_ticket_buys_nothing(tp, chain, finance_wu):
    ticket = ticketed(
        tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu, on=days_ago(800)
    )
    refused(
        "ticket_expired",
        ticket,
        lambda: tickets.ticket_purchase(
            actor=finance_wu,
            ticket=ticket,
            listing=tp.listing,
            contract_number="HT-1",
            amount="100.00",
        ),
    )


def test_a_ticket_that_cannot_be_split_must_be_used_whole(leader, chain, finance_wu):
    project, group = ticket_project(leader, splittable=False)
    dev = developer(finance_wu)
    home = listing(finance_wu, dev, project)
    ticket = ticketed(group, code="H001", net="30000.00", chain=chain, finance=finance_wu)

    refused(
        "not_splittable",
        ticket,
        lambda: tickets.ticket_purchase(
            actor=finance_wu, ticket=ticket, listing=home, contract_number="A", amount="10000"
        ),
    )
    tickets.ticket_purchase(
        actor=finance_wu, ticket=ticket, listing=home, contract_number="A", amount="31500.00"
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.USED


def test_a_listing_of_another_project_cannot_be_bought(tp, leader, chain, finance_wu):
    other, _group = ticket_project(leader)
    elsewhere = listing(finance_wu, tp.developer, other, name="别处1-1")
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    refused(
        "listing_of_another_project",
        ticket,
        lambda: tickets.ticket_purchase(
            actor=finance_wu, ticket=ticket, listing=elsewhere, contract_number="A", amount="100"
        ),
    )


def test_a_developers_contract_number_is_recorded_once(tp, chain, finance_wu):
    first = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    second = ticketed(tp.group, code="H002", net="20000.00", chain=chain, finance=finance_wu)
    tickets.ticket_purchase(
        actor=finance_wu, ticket=first, listing=tp.listing, contract_number="HT-9", amount="100"
    )
    refused(
        "contract_repeated",
        second,
        lambda: tickets.ticket_purchase(
            actor=finance_wu,
            ticket=second,
            listing=tp.listing,
            contract_number="HT-9",
            amount="100",
        ),
    )


# -- transfers ------------------------------------------------------------------------------


def test_a_ticket_is_transferred_once_to_a_named_person(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    previous = ticket.holder_name

    transfer = tickets.ticket_transfer(
        actor=finance_wu,
        ticket=ticket,
        to_name="钱受让",
        to_id_number=STRANGER_ID,
        reason="家庭内部赠与",
    )

    assert transfer.from_name == previous
    ticket.refresh_from_db()
    assert (ticket.holder_name, ticket.transfer_count) == ("钱受让", 1)
    assert AuditEntry.objects.filter(action="ticket.transfer").exists()
    refused(
        "transferred_before",
        ticket,
        lambda: tickets.ticket_transfer(
            actor=finance_wu,
            ticket=ticket,
            to_name="孙再转",
            to_id_number=STRANGER_ID,
            reason="再转让",
        ),
    )


def test_a_ticket_of_a_project_that_forbids_transfers_is_not_transferred(leader, chain, finance_wu):
    _project, group = ticket_project(leader, transferable="never")
    ticket = ticketed(group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    refused(
        "not_transferable",
        ticket,
        lambda: tickets.ticket_transfer(
            actor=finance_wu, ticket=ticket, to_name="钱受让", to_id_number=STRANGER_ID, reason="x"
        ),
    )


def test_a_transfer_needs_a_valid_id_number_and_a_reason(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    error = refused(
        "invalid_input",
        ticket,
        lambda: tickets.ticket_transfer(
            actor=finance_wu, ticket=ticket, to_name="钱受让", to_id_number="123", reason=""
        ),
    )
    assert {d["field"] for d in error.details} == {"to_id_number", "reason"}


# -- buy-back and expiry --------------------------------------------------------------------


def test_a_small_balance_is_bought_back_at_face_value(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    # Leave 1,500.00 (5 % of 30,000.00): 28,500.00 of face value used, with 5 % reward.
    tickets.ticket_purchase(
        actor=finance_wu, ticket=ticket, listing=tp.listing, contract_number="A", amount="29925"
    )

    buy_back = tickets.ticket_buy_back(actor=finance_wu, ticket=ticket)

    assert (buy_back.balance, buy_back.amount_paid, buy_back.forfeited) == (
        D("1500.00"),
        D("1500.00"),
        D("0.00"),
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.balance) == (TicketStatus.BOUGHT_BACK, 0)


def test_a_larger_balance_is_bought_back_at_90_percent(tp, chain, finance_wu):
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    tickets.ticket_purchase(
        actor=finance_wu, ticket=ticket, listing=tp.listing, contract_number="A", amount="21000"
    )

    buy_back = tickets.ticket_buy_back(actor=finance_wu, ticket=ticket)

    assert (buy_back.balance, buy_back.amount_paid, buy_back.forfeited, buy_back.rate) == (
        D("10000.00"),
        D("9000.00"),
        D("1000.00"),
        D("90.00"),
    )
    assert buy_back.reason == BuyBackReason.REQUEST


def test_expired_tickets_are_bought_back_by_the_rule_and_used_ones_left_alone(
    tp, chain, finance_wu
):
    expired = ticketed(
        tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu, on=days_ago(800)
    )
    current = ticketed(tp.group, code="H002", net="20000.00", chain=chain, finance=finance_wu)

    assert tickets.tickets_expire() == [expired.number]

    expired.refresh_from_db()
    current.refresh_from_db()
    assert expired.status == TicketStatus.EXPIRED
    assert expired.buy_back.amount_paid == D("27000.00")
    assert expired.buy_back.reason == BuyBackReason.EXPIRY
    assert current.status == TicketStatus.VALID
    assert tickets.tickets_expire() == []  # nothing twice


def test_a_policy_that_forfeits_at_expiry_pays_nothing_back(leader, chain, finance_wu):
    project, group = ticket_project(leader, on_expiry="forfeit")
    ticket = ticketed(
        group, code="H001", net="30000.00", chain=chain, finance=finance_wu, on=days_ago(800)
    )

    call_command("tickets_expire")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.EXPIRED
    assert (ticket.buy_back.amount_paid, ticket.buy_back.forfeited) == (D("0.00"), D("30000.00"))


def test_a_policy_change_by_a_clerk_is_refused(tp, clerk):
    with pytest.raises(NotAllowed):
        set_policy(tp.project, clerk)


def test_reward_tiers_must_rise_month_by_month(tp, leader):
    with pytest.raises(RuleViolation) as caught:
        set_policy(
            tp.project,
            leader,
            reward_tiers=[{"up_to_month": 12, "percent": "5"}, {"up_to_month": 6, "percent": "2"}],
        )
    assert caught.value.details[0]["field"] == "reward_tiers"


def test_an_invalid_credit_code_is_refused(finance_wu):
    from tickets.services import developers

    with pytest.raises(RuleViolation) as caught:
        developers.developer_save(
            actor=finance_wu,
            name="某公司",
            credit_code="91110000600037341X",
            bank_name="银行",
            bank_account="123",
        )
    assert caught.value.details[0]["field"] == "credit_code"


def test_an_outsider_records_no_purchase(tp, chain, finance_wu, roles):
    outsider = make_user("nobody")
    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    with pytest.raises(NotAllowed) as caught:
        tickets.ticket_purchase(
            actor=outsider, ticket=ticket, listing=tp.listing, contract_number="A", amount="1"
        )
    assert ticket.number in caught.value.message


def test_the_daily_task_expires_tickets(tp, chain, finance_wu):
    from tickets.tasks import expire_tickets

    ticket = ticketed(
        tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu, on=days_ago(800)
    )
    assert expire_tickets.delay().get() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.EXPIRED


def test_a_finance_officer_of_another_project_cannot_use_the_ticket(tp, chain, finance_wu):
    from tests.people import grant

    ticket = ticketed(tp.group, code="H001", net="30000.00", chain=chain, finance=finance_wu)
    elsewhere = make_user("finance_elsewhere", "finance", all_projects=False)
    other, _group = ticket_project(make_user("leader_x", "leader"))
    grant(elsewhere, other)
    with pytest.raises(NotAllowed) as caught:
        tickets.ticket_purchase(
            actor=elsewhere, ticket=ticket, listing=tp.listing, contract_number="A", amount="1"
        )
    assert caught.value.code == "project_not_granted"
    assert ticket.number in caught.value.message


def test_a_leader_sets_the_ticket_policy_in_the_admin(client, leader):
    from django.urls import reverse

    from tests.households.factories import ProjectFactory
    from tickets.models import TicketPolicy

    project = ProjectFactory()
    client.force_login(leader)
    response = client.post(
        reverse("admin:tickets_ticketpolicy_add"),
        {
            "project": project.pk,
            "validity_months": 24,
            "transferable": "once",
            "splittable": "on",
            "small_balance_percent": "5",
            "small_balance_rate": "100",
            "buy_back_rate": "90",
            "on_expiry": "buy_back",
            "tiers": "12 5\n24 2",
            "excluded": ["transition_subsidy"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = TicketPolicy.objects.get(project=project)
    assert policy.reward_tiers == [
        {"up_to_month": 12, "percent": "5"},
        {"up_to_month": 24, "percent": "2"},
    ]
    assert policy.excluded_rules == ["transition_subsidy"]
    assert AuditEntry.objects.filter(action="ticket_policy.set").exists()
