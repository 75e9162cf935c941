"""Appends from many transactions at once make one unbroken chain: no two entries follow the
same predecessor, no sequence number is skipped or repeated, and every append succeeds
(none is refused by the constraints that back the lock up).

These need real concurrent transactions: PostgreSQL (CI runs it). SQLite serialises every
write on one file lock, so the race cannot even be set up there.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from resettlement.audit import audit_record, audit_verify
from resettlement.models import AuditEntry
from tests.people import make_user

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent appends need PostgreSQL (set DATABASE_URL); CI runs it there",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 20


def test_twenty_simultaneous_appends_make_one_chain_without_a_fork(roles):
    leader = make_user("leader_chen", "leader")
    audit_record_in_transaction = transaction.atomic(audit_record)
    audit_record_in_transaction(actor=leader, action="household.approve", obj=None, payload={})
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                # The decision's own write comes first, as in every service.
                make_user(f"user_{i}")
                audit_record(
                    actor=leader, action="household.approve", obj=None, payload={"thread": i}
                )
            outcome = "appended"
        except Exception as exc:  # a refused append would be a failed decision: show it
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(outcomes) == Counter({"appended": THREADS})
    rows = list(AuditEntry.objects.order_by("sequence"))
    assert [e.sequence for e in rows] == list(range(1, THREADS + 2))
    assert sorted(e.payload.get("thread", -1) for e in rows) == list(range(-1, THREADS))
    assert len({e.previous_hash for e in rows}) == len(rows)  # no fork
    report = audit_verify()
    assert report.ok and report.count == THREADS + 1
