"""Payments and collections: only on approved statements, in the net's direction, never
beyond what was approved, recorded once per idempotency key, collected before paid out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resettlement.errors import NotAllowed, RuleViolation
from settlement.models import Payment, PaymentDirection, StatementStatus
from settlement.services import payments
from tests.settlement.factories import approve_through, statement_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(money, chain):
    """Every statement of the project approved through the chain."""
    for household in (money.owes, money.owed, money.owed_too, money.elsewhere):
        approve_through(statement_of(household), chain)
    return money


def pay(actor, household, amount, key, reference=""):
    return payments.payment_record(
        actor=actor,
        statement=statement_of(household),
        amount=Decimal(amount),
        idempotency_key=key,
        reference=reference,
    )


def test_a_collection_settles_the_statement_that_owes(approved, chain):
    payment, created = pay(chain.cashier, approved.owes, "20000.00", "k-owes-1", "BANK-001")
    assert created
    assert payment.direction == PaymentDirection.COLLECT
    assert payment.recorded_by == chain.cashier
    statement = statement_of(approved.owes)
    assert statement.status == StatementStatus.SETTLED
    assert statement.settled_at is not None


def test_partial_payments_settle_when_the_total_is_reached(approved, chain):
    pay(chain.cashier, approved.owes, "5000.00", "k1")
    assert statement_of(approved.owes).status == StatementStatus.APPROVED
    pay(chain.cashier, approved.owes, "15000.00", "k2")
    assert statement_of(approved.owes).status == StatementStatus.SETTLED


def test_a_payment_never_exceeds_what_was_approved(approved, chain):
    pay(chain.cashier, approved.owes, "15000.00", "k1")
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, approved.owes, "5000.01", "k2")
    assert refused.value.code == "over_payment"
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, approved.elsewhere, "8000.01", "k3")
    assert refused.value.code == "over_payment"
    assert Payment.objects.count() == 1


def test_a_settled_statement_takes_no_more_payments(approved, chain):
    pay(chain.cashier, approved.elsewhere, "8000.00", "k1")
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, approved.elsewhere, "1.00", "k2")
    assert refused.value.code == "already_settled"


def test_only_approved_statements_are_paid(money, chain):
    approve_through(statement_of(money.elsewhere), chain, steps=6)
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, money.elsewhere, "8000.00", "k1")
    assert refused.value.code == "not_approved"


def test_only_finance_records_payments(approved, leader):
    with pytest.raises(NotAllowed):
        pay(leader, approved.elsewhere, "8000.00", "k1")


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "abc"])
def test_an_amount_must_be_positive_money(approved, chain, amount):
    with pytest.raises(RuleViolation) as refused:
        payments.payment_record(
            actor=chain.cashier,
            statement=statement_of(approved.elsewhere),
            amount=amount,
            idempotency_key="k1",
        )
    assert refused.value.code == "invalid_input"


def test_a_key_is_required(approved, chain):
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, approved.elsewhere, "8000.00", " ")
    assert refused.value.code == "idempotency_key_invalid"


def test_a_repeated_request_returns_the_first_payment(approved, chain):
    first, created = pay(chain.cashier, approved.elsewhere, "3000.00", "same-key", "R1")
    again, created_again = pay(chain.cashier, approved.elsewhere, "3000.00", "same-key", "R1")
    assert created and not created_again
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    # Even once the statement is settled, the repeat still answers with the first payment.
    pay(chain.cashier, approved.elsewhere, "5000.00", "other-key")
    third, created_third = pay(chain.cashier, approved.elsewhere, "3000.00", "same-key", "R1")
    assert third.pk == first.pk and not created_third


def test_a_reused_key_with_different_data_is_refused(approved, chain):
    pay(chain.cashier, approved.elsewhere, "3000.00", "same-key")
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, approved.elsewhere, "3000.01", "same-key")
    assert refused.value.code == "idempotency_key_reused"
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, approved.owes, "3000.00", "same-key")
    assert refused.value.code == "idempotency_key_reused"
    assert Payment.objects.count() == 1


def test_collect_first_then_pay(approved, chain):
    # H001 still owes 20,000: nobody in its group is paid yet; the message names it.
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, approved.owed, "30000.00", "k1")
    assert refused.value.code == "collect_first"
    assert "H001" in refused.value.message
    assert [d["household"] for d in refused.value.details] == ["H001"]
    # Another group is not held up by it.
    pay(chain.cashier, approved.elsewhere, "8000.00", "k2")
    # A partial collection is not enough.
    pay(chain.cashier, approved.owes, "10000.00", "k3")
    with pytest.raises(RuleViolation):
        pay(chain.cashier, approved.owed, "30000.00", "k4")
    pay(chain.cashier, approved.owes, "10000.00", "k5")
    payment, created = pay(chain.cashier, approved.owed, "30000.00", "k4")
    assert created and payment.direction == PaymentDirection.PAY


def test_a_household_without_an_approved_statement_holds_payouts(money, chain):
    approve_through(statement_of(money.owes), chain)
    approve_through(statement_of(money.owed), chain)
    pay(chain.cashier, money.owes, "20000.00", "k1")
    # H003's statement is still a draft: it might yet owe something.
    with pytest.raises(RuleViolation) as refused:
        pay(chain.cashier, money.owed, "30000.00", "k2")
    assert refused.value.code == "collect_first"
    assert [d["household"] for d in refused.value.details] == ["H003"]
    approve_through(statement_of(money.owed_too), chain)
    assert pay(chain.cashier, money.owed, "30000.00", "k2")[1]


def test_the_groups_payout_blockers_are_read_in_two_queries_whatever_its_size(
    approved, chain, django_assert_num_queries
):
    statement = statement_of(approved.owed)
    statement.household  # noqa: B018 - loaded before counting
    # The group's other households with their statements, then all their payments.
    with django_assert_num_queries(2):
        blockers = payments.payout_blockers(statement)
    assert [(b.household.code, b.reason) for b in blockers] == [("H001", "应收款尚未收齐")]
