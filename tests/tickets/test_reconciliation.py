"""The reconciliation identity of every ticket (docs/tickets.md), against the services on
PostgreSQL: whatever sequence of purchases, transfers, buy-backs and expiry happens, face
value + rewards = purchases + buy-back paid + forfeited + balance, and the balance is 0 once
the ticket is no longer valid. Refused actions change nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from households import idnumbers
from resettlement.errors import RuleViolation
from resettlement.periods import today
from tests.tickets.factories import ticketed
from tickets.models import HouseTicket, Listing, TicketBuyBack, TicketStatus
from tickets.services import tickets

pytestmark = pytest.mark.django_db(transaction=False)

ZERO = Decimal("0.00")
TO_ID = idnumbers.make("330125", dt.date(1980, 1, 1), 123, "M")

actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("purchase"),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40000"), places=2),
            st.integers(min_value=0, max_value=900),
        ),
        st.tuples(st.just("transfer"), st.just(None), st.integers(min_value=0, max_value=900)),
        st.tuples(st.just("buy_back"), st.just(None), st.integers(min_value=0, max_value=900)),
        st.tuples(st.just("expire"), st.just(None), st.integers(min_value=0, max_value=900)),
    ),
    max_size=8,
)

_households = itertools.count(1)
_contracts = itertools.count(1)


def identity_holds(ticket: HouseTicket) -> None:
    ticket.refresh_from_db()
    purchases = ticket.purchases.aggregate(a=Sum("amount"), r=Sum("reward"))
    bought = TicketBuyBack.objects.filter(ticket=ticket).first()
    paid = bought.amount_paid if bought else ZERO
    forfeited = bought.forfeited if bought else ZERO
    assert ticket.face_value + ticket.reward_total == (
        (purchases["a"] or ZERO) + paid + forfeited + ticket.balance
    )
    assert ticket.reward_total == (purchases["r"] or ZERO)
    assert ticket.balance >= 0
    if ticket.status != TicketStatus.VALID:
        assert ticket.balance == 0
    else:
        assert ticket.balance > 0


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=actions, issued_days_ago=st.integers(min_value=0, max_value=900))
def test_face_value_and_rewards_always_equal_what_was_bought_paid_back_forfeited_or_left(
    tp, chain, finance_wu, steps, issued_days_ago
):
    # The fixture's rows stay for every example: enough homes for them all.
    Listing.objects.filter(pk=tp.listing.pk).update(available=100_000)
    ticket = ticketed(
        tp.group,
        code=f"R{next(_households):04d}",
        net="30000.00",
        chain=chain,
        finance=finance_wu,
        on=today() - dt.timedelta(days=issued_days_ago),
    )
    for action, amount, days_later in steps:
        on = min(ticket.issued_on + dt.timedelta(days=days_later), today())
        try:
            if action == "purchase":
                tickets.ticket_purchase(
                    actor=finance_wu,
                    ticket=ticket,
                    listing=tp.listing,
                    contract_number=f"C{next(_contracts)}",
                    amount=amount,
                    on=on,
                )
            elif action == "transfer":
                tickets.ticket_transfer(
                    actor=finance_wu,
                    ticket=ticket,
                    to_name="钱受让",
                    to_id_number=TO_ID,
                    reason="赠与",
                    on=on,
                )
            elif action == "buy_back":
                tickets.ticket_buy_back(actor=finance_wu, ticket=ticket, on=on)
            else:
                tickets.tickets_expire(on)
        except RuleViolation as refusal:
            assert ticket.number in refusal.message
        identity_holds(ticket)
