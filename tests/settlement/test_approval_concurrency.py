"""Two approvers clicking the same step at the same moment (issue 11, finding 7): one takes
the step, the other is refused — never moved on to the next step, which they never saw.

A real race needs real concurrent transactions: PostgreSQL (CI runs it). SQLite serialises
every write on one file lock, so the race cannot even be set up there.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from resettlement.errors import RuleViolation
from resettlement.models import AuditEntry
from settlement import services_money
from tests.settlement.money_fixtures import (  # noqa: F401 (fixtures)
    approve_through,
    chain,
    money,
    statement_of,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent row locks need PostgreSQL (set DATABASE_URL); CI runs it there",
    ),
    pytest.mark.django_db(transaction=True),
]


def race(calls) -> list[str]:
    """Run each call in its own thread (its own database connection), released at once."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(call):
        try:
            barrier.wait()
            outcome = f"took step {call().position}"
        except RuleViolation as exc:
            outcome = exc.code
        except Exception as exc:  # anything else would be a 500: make it visible
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_two_leaders_approving_step_two_at_once_take_it_once(money, chain):  # noqa: F811
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    entries = AuditEntry.objects.count()

    def approve_step_two(leader):
        return lambda: services_money.statement_approve(
            actor=leader, statement=statement, expected_position=2
        )

    outcomes = race([approve_step_two(chain.leader), approve_step_two(chain.director)])

    assert outcomes == ["approval_step_changed", "took step 2"]
    statement.refresh_from_db()
    assert sorted(statement.approvals.values_list("position", flat=True)) == [1, 2]
    assert services_money.next_step(statement).position == 3
    assert AuditEntry.objects.count() == entries + 1
