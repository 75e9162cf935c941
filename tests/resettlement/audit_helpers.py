"""Helpers for the audit tests: a chain of plain entries, tampering as someone with direct
database access would (lifting the append-only trigger first), and verify_audit's output."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from resettlement.audit import audit_record, entry_hash
from resettlement.models import AuditEntry


def make_chain(actor, n: int) -> list[AuditEntry]:
    """`n` entries, as if a leader had approved `n` households."""
    return [
        audit_record(
            actor=actor,
            action="household.approve",
            obj=None,
            payload={"household": f"H{i:03d}", "population": i},
        )
        for i in range(1, n + 1)
    ]


def tamper(sql: str, params: tuple = ()) -> None:
    """Run raw SQL against the audit tables (entries, published heads) past their triggers.
    The test's transaction rolls the lifted triggers back with everything else."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As a superuser would: no trigger fires for this transaction's remaining writes.
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only")
            cursor.execute("DROP TRIGGER IF EXISTS published_head_append_only")
        cursor.execute(sql, params)


def rewrite_from(sequence: int) -> None:
    """Rewrite every entry from `sequence` on and recompute every hash after it, as someone
    with the database who knows the recipe would: the chain alone still verifies."""
    previous = AuditEntry.objects.get(sequence=sequence - 1).hash
    for entry in AuditEntry.objects.filter(sequence__gte=sequence).order_by("sequence"):
        entry.payload = {"household": "forged"}
        entry.previous_hash = previous
        entry.hash = entry_hash(entry)
        previous = entry.hash
        tamper(
            "UPDATE resettlement_auditentry SET payload = %s, previous_hash = %s, hash = %s"
            " WHERE sequence = %s",
            (json.dumps(entry.payload), entry.previous_hash, entry.hash, entry.sequence),
        )


def verify_command(*args: str) -> tuple[int, str, str]:
    """Run `manage.py verify_audit`; its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("sequence"))


def only_entry(action: str) -> AuditEntry:
    matching = list(AuditEntry.objects.filter(action=action))
    if len(matching) != 1:
        pytest.fail(f"expected one {action} entry, found {len(matching)}")
    return matching[0]
