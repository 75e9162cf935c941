"""The audit chain: each entry holds the hash of the one before; verify_audit recomputes the
chain and names the first entry where a payload was changed, an entry deleted or the chain
relinked, with a non-zero exit status. The database itself refuses to update entries."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from resettlement.audit import audit_head, audit_record, audit_verify, entry_hash
from resettlement.models import GENESIS_HASH, AuditEntry
from tests.resettlement.audit_helpers import (
    entries,
    make_chain,
    rewrite_from,
    tamper,
    verify_command,
)

pytestmark = pytest.mark.django_db


def test_an_empty_chain_verifies_with_the_genesis_head():
    assert audit_head() == (0, GENESIS_HASH)
    status, out, _err = verify_command()
    assert status == 0
    assert out.strip() == f"OK: 0 entries; head #0 {GENESIS_HASH}"


def test_each_entry_follows_the_one_before_starting_from_sixty_four_zeros(leader):
    chain = make_chain(leader, 3)
    assert [e.sequence for e in chain] == [1, 2, 3]
    assert chain[0].previous_hash == "0" * 64
    assert chain[1].previous_hash == chain[0].hash
    assert chain[2].previous_hash == chain[1].hash
    assert len({e.hash for e in chain}) == 3
    assert audit_head() == (3, chain[2].hash)
    assert chain[0].actor == leader and chain[0].actor_username == "leader_chen"


def test_an_intact_chain_verifies_ok_with_its_head_and_count(leader):
    chain = make_chain(leader, 5)
    report = audit_verify(batch_size=2)  # several batches
    assert report.ok and report.count == 5 and report.head == (5, chain[-1].hash)
    status, out, err = verify_command()
    assert status == 0 and err == ""
    assert out.strip() == f"OK: 5 entries; head #5 {chain[-1].hash}"


def test_the_hash_is_recomputed_from_the_recipe_in_docs(leader, project):
    """docs/audit.md: SHA-256 of the UTF-8 JSON of these eleven fields, keys sorted, no
    spaces, Decimal and dates as strings, the time in UTC with microseconds and a Z."""
    entry = audit_record(
        actor=leader,
        action="payment.record",
        obj=project,
        payload={"amount": Decimal("3000.00"), "on": dt.date(2026, 5, 18), "note": "首付"},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.payload == {"amount": "3000.00", "on": "2026-05-18", "note": "首付"}
    document = {
        "format": "rs-audit-v1",
        "sequence": 1,
        "recorded_at": stored.recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": leader.pk,
        "actor_username": "leader_chen",
        "action": "payment.record",
        "object_type": "households.project",
        "object_id": str(project.pk),
        "object_label": str(project),
        "payload": {"amount": "3000.00", "note": "首付", "on": "2026-05-18"},
        "previous_hash": "0" * 64,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == stored.hash == entry_hash(stored)


def test_a_payload_changed_with_raw_sql_is_caught_at_that_entry(leader):
    make_chain(leader, 5)
    tamper(
        "UPDATE resettlement_auditentry SET payload = %s WHERE sequence = 3",
        (json.dumps({"household": "H003", "population": 9}),),
    )
    report = audit_verify()
    assert (report.problem.sequence, report.problem.code) == (3, "content_changed")
    assert report.count == 2  # entries 1 and 2 still verify
    status, out, err = verify_command()
    assert status == 1 and out == ""
    assert "BROKEN at entry #3 (content_changed)" in err
    assert "第 3 条记录的内容与其哈希不符" in err


def test_a_changed_actor_is_caught_too(leader, reviewer):
    make_chain(leader, 4)
    tamper(
        "UPDATE resettlement_auditentry SET actor_id = %s, actor_username = %s WHERE sequence = 2",
        (reviewer.pk, reviewer.username),
    )
    assert audit_verify().problem.sequence == 2


def test_a_deleted_middle_entry_is_caught_as_missing(leader):
    make_chain(leader, 5)
    tamper("DELETE FROM resettlement_auditentry WHERE sequence = 3")
    problem = audit_verify().problem
    assert (problem.sequence, problem.code) == (3, "missing")
    status, _out, err = verify_command()
    assert status == 1 and "BROKEN at entry #3 (missing)" in err


def test_a_deleted_first_entry_is_caught(leader):
    make_chain(leader, 3)
    tamper("DELETE FROM resettlement_auditentry WHERE sequence = 1")
    assert (audit_verify().problem.sequence, audit_verify().problem.code) == (1, "missing")


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_link_of_the_next(leader):
    """Someone changes entry 3 and recomputes its hash: entry 4 no longer follows it."""
    make_chain(leader, 5)
    third = AuditEntry.objects.get(sequence=3)
    third.payload = {"household": "H003", "population": 9}
    tamper(
        "UPDATE resettlement_auditentry SET payload = %s, hash = %s WHERE sequence = 3",
        (json.dumps(third.payload), entry_hash(third)),
    )
    problem = audit_verify().problem
    assert (problem.sequence, problem.code) == (4, "link_broken")
    status, _out, err = verify_command()
    assert status == 1 and "BROKEN at entry #4 (link_broken)" in err


def test_a_deletion_covered_by_relinking_the_next_entry_is_caught(leader):
    """Entry 3 deleted, entry 4 pointed at entry 2 and its hash recomputed: the sequence
    still has a hole where entry 3 was."""
    make_chain(leader, 5)
    second, fourth = AuditEntry.objects.get(sequence=2), AuditEntry.objects.get(sequence=4)
    fourth.previous_hash = second.hash
    tamper("DELETE FROM resettlement_auditentry WHERE sequence = 3")
    tamper(
        "UPDATE resettlement_auditentry SET previous_hash = %s, hash = %s WHERE sequence = 4",
        (second.hash, entry_hash(fourth)),
    )
    assert (audit_verify().problem.sequence, audit_verify().problem.code) == (3, "missing")


def test_a_relinked_entry_is_caught_at_that_entry(leader):
    """Entry 3 pointed elsewhere, its hash recomputed so its own content checks out."""
    make_chain(leader, 5)
    third = AuditEntry.objects.get(sequence=3)
    third.previous_hash = "f" * 64
    tamper(
        "UPDATE resettlement_auditentry SET previous_hash = %s, hash = %s WHERE sequence = 3",
        (third.previous_hash, entry_hash(third)),
    )
    problem = audit_verify().problem
    assert (problem.sequence, problem.code) == (3, "link_broken")


def test_a_tail_rewritten_consistently_is_caught_against_a_printed_head(leader):
    chain = make_chain(leader, 5)
    printed = f"5:{chain[-1].hash}"  # as a publicity PDF printed it
    rewrite_from(3)  # entries 3-5 rewritten, every hash recomputed
    assert audit_verify().ok  # the chain alone cannot tell: that is why heads are printed
    status, _out, err = verify_command("--printed", printed)
    assert status == 1 and "BROKEN at entry #5 (differs_from_printed)" in err


def test_a_truncated_tail_is_caught_against_a_printed_head(leader):
    chain = make_chain(leader, 4)
    tamper("DELETE FROM resettlement_auditentry WHERE sequence >= 3")
    assert audit_verify().ok
    status, _out, err = verify_command("--printed", f"4:{chain[-1].hash}")
    assert status == 1 and "BROKEN at entry #4 (missing)" in err


def test_a_printed_head_still_in_the_chain_verifies(leader):
    chain = make_chain(leader, 3)
    status, out, _err = verify_command("--printed", f"2:{chain[1].hash}")
    assert status == 0 and out.startswith("OK: 3 entries")


def test_the_database_refuses_to_update_an_entry(leader):
    make_chain(leader, 2)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE resettlement_auditentry SET action = 'x' WHERE sequence = 1")
    assert audit_verify().ok


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="on SQLite a test's flush deletes row by row, so only PostgreSQL refuses DELETE",
)
def test_postgresql_refuses_to_delete_an_entry(leader):
    make_chain(leader, 2)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM resettlement_auditentry WHERE sequence = 2")
    assert AuditEntry.objects.count() == 2


def test_the_model_refuses_to_change_or_delete_an_entry(leader):
    entry = make_chain(leader, 1)[0]
    entry.action = "payment.record"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    assert entries()[0].action == "household.approve"


def test_unknown_actions_and_floats_are_refused(leader):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_record(actor=leader, action="household.approved", obj=None, payload={})
    with pytest.raises(TypeError, match="float"):
        audit_record(actor=leader, action="payment.record", obj=None, payload={"amount": 1.5})
    assert AuditEntry.objects.count() == 0


def test_a_system_entry_has_no_actor(db):
    entry = audit_record(actor=None, action="publication.close", obj=None, payload={})
    assert entry.actor is None and entry.actor_username == ""
    assert audit_verify().ok
