"""Two approvers clicking the same step at the same moment (issue 11, finding 7): one takes
the step, the other is refused — never moved on to the next step, which they never saw.

A real race needs real concurrent transactions: PostgreSQL (CI runs it). SQLite serialises
every write on one file lock, so the race cannot even be set up there.
"""

from __future__ import annotations

import pytest

from resettlement.models import AuditEntry
from settlement.services import approvals
from tests.races import at_once, needs_postgresql
from tests.settlement.factories import approve_through, statement_of

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]


def test_two_leaders_approving_step_two_at_once_take_it_once(money, chain):
    statement = approve_through(statement_of(money.owed), chain, steps=1)
    entries = AuditEntry.objects.count()

    def approve_step_two(leader):
        return lambda: approvals.statement_approve(
            actor=leader, statement=statement, expected_position=2
        )

    results = at_once([approve_step_two(chain.leader), approve_step_two(chain.director)])

    outcomes = sorted(
        f"took step {approval.position}" if outcome == "ok" else outcome
        for outcome, approval in results
    )

    assert outcomes == ["approval_step_changed", "took step 2"]
    statement.refresh_from_db()
    assert sorted(statement.approvals.values_list("position", flat=True)) == [1, 2]
    assert approvals.next_step(statement).position == 3
    assert AuditEntry.objects.count() == entries + 1
