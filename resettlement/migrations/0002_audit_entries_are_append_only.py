"""Audit entries are append-only in the database itself: an UPDATE is refused, and on
PostgreSQL a DELETE too. (On SQLite a test's closing flush deletes row by row, so deletes are
left to verify_audit there; on PostgreSQL the flush is a TRUNCATE, which row triggers do not
see.) Someone who can lift a trigger can still change rows; verify_audit then finds it."""

from django.db import migrations

from resettlement.migration_triggers import triggers_for_each_database

POSTGRES = [
    """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit entry % is append-only: % refused', OLD.sequence, TG_OP;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER audit_entry_append_only
  BEFORE UPDATE OR DELETE ON resettlement_auditentry
  FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
""",
]

SQLITE = [
    """
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE ON resettlement_auditentry
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END;
""",
]


create_triggers, drop_triggers = triggers_for_each_database(
    "audit",
    postgresql=POSTGRES,
    sqlite=SQLITE,
    drop_postgresql=[
        "DROP TRIGGER IF EXISTS audit_entry_append_only ON resettlement_auditentry",
        "DROP FUNCTION IF EXISTS audit_entry_append_only()",
    ],
    drop_sqlite=["DROP TRIGGER IF EXISTS audit_entry_append_only"],
)


class Migration(migrations.Migration):
    dependencies = [("resettlement", "0001_audit_entry")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
