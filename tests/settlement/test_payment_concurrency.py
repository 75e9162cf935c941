"""A double-clicked or retried payment is never paid twice: 50 simultaneous identical
requests record one payment; 50 simultaneous requests with different keys for the full
amount pay it once (the statement row is locked; the unique key is the backstop).

These need real concurrent transactions: PostgreSQL (CI runs it). SQLite serialises every
write on one file lock, so the race cannot even be set up there.
"""

from __future__ import annotations

import functools
from collections import Counter
from decimal import Decimal

import pytest

from settlement.models import Payment, StatementStatus
from settlement.services import payments
from tests.races import at_once, needs_postgresql
from tests.settlement.factories import approve_through, statement_of

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 50


def race(call) -> tuple[Counter, list]:
    """Run `call(i)` in THREADS threads released at once; count outcomes, keep results."""
    results = at_once([functools.partial(call, i) for i in range(THREADS)])
    outcomes = Counter(
        ("created" if result[1] else "repeat") if outcome == "ok" else outcome
        for outcome, result in results
    )
    return outcomes, [result[0].pk for outcome, result in results if outcome == "ok"]


@pytest.fixture
def approved_elsewhere(money, chain):
    return approve_through(statement_of(money.elsewhere), chain)


def test_fifty_identical_requests_record_one_payment(approved_elsewhere, chain):
    outcomes, payment_ids = race(
        lambda i: payments.payment_record(
            actor=chain.cashier,
            statement=approved_elsewhere,
            amount=Decimal("3000.00"),
            idempotency_key="double-click-1",
            reference="BANK-42",
        )
    )
    assert outcomes == Counter({"created": 1, "repeat": THREADS - 1})
    assert Payment.objects.count() == 1
    assert set(payment_ids) == {Payment.objects.get().pk}


def test_fifty_requests_for_the_full_amount_pay_it_once(approved_elsewhere, chain):
    outcomes, _ids = race(
        lambda i: payments.payment_record(
            actor=chain.cashier,
            statement=approved_elsewhere,
            amount=Decimal("8000.00"),
            idempotency_key=f"key-{i}",
        )
    )
    assert outcomes == Counter({"created": 1, "already_settled": THREADS - 1})
    assert Payment.objects.count() == 1
    statement = statement_of(approved_elsewhere.household)
    assert statement.status == StatementStatus.SETTLED


def test_fifty_partial_requests_never_exceed_the_approved_amount(approved_elsewhere, chain):
    outcomes, _ids = race(
        lambda i: payments.payment_record(
            actor=chain.cashier,
            statement=approved_elsewhere,
            amount=Decimal("3000.00"),
            idempotency_key=f"part-{i}",
        )
    )
    # 8,000 approved: two payments of 3,000 fit, the third would overpay.
    assert outcomes["created"] == 2
    assert outcomes["over_payment"] == THREADS - 2
    assert sum(p.amount for p in Payment.objects.all()) == Decimal("6000.00")
