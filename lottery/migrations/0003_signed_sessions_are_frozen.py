"""Nothing about a signed session can change (DESIGN §5), by any path: the services refuse,
and so does the database itself. A signed session's row can be neither updated nor deleted,
and its reveals, allocations, check-ins, events and communities can be neither inserted,
updated nor deleted."""

from django.db import migrations

from resettlement.migration_triggers import triggers_for_each_database

CHILDREN = (
    "lottery_reveal",
    "lottery_allocation",
    "lottery_checkin",
    "lottery_sessionevent",
    "lottery_lotterysession_communities",
)
# (table, column holding the session id)
CHILD_COLUMNS = [
    (t, "lotterysession_id" if t.endswith("_communities") else "session_id") for t in CHILDREN
]

POSTGRES = [
    """
CREATE OR REPLACE FUNCTION lottery_session_frozen() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'signed' THEN
    RAISE EXCEPTION 'lottery session % is signed off and cannot change', OLD.code;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER lottery_session_frozen
  BEFORE UPDATE OR DELETE ON lottery_lotterysession
  FOR EACH ROW EXECUTE FUNCTION lottery_session_frozen();
""",
]
CHILD_POSTGRES = """
CREATE OR REPLACE FUNCTION {table}_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
      SELECT 1 FROM lottery_lotterysession s WHERE s.id = OLD.{column} AND s.status = 'signed')
  THEN
    RAISE EXCEPTION 'lottery session % is signed off: {table} cannot change', OLD.{column};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
      SELECT 1 FROM lottery_lotterysession s WHERE s.id = NEW.{column} AND s.status = 'signed')
  THEN
    RAISE EXCEPTION 'lottery session % is signed off: {table} cannot change', NEW.{column};
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_frozen
  BEFORE INSERT OR UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table}_frozen();
"""
POSTGRES += [CHILD_POSTGRES.format(table=table, column=column) for table, column in CHILD_COLUMNS]

SQLITE = [
    """
CREATE TRIGGER lottery_session_frozen BEFORE UPDATE ON lottery_lotterysession
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'lottery session is signed off and cannot change'); END;
""",
    """
CREATE TRIGGER lottery_session_no_delete BEFORE DELETE ON lottery_lotterysession
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'lottery session is signed off and cannot be deleted'); END;
""",
]
_SIGNED = "(SELECT status FROM lottery_lotterysession WHERE id = {row}.{column}) = 'signed'"
for table, column in CHILD_COLUMNS:
    for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        condition = " OR ".join(_SIGNED.format(row=row, column=column) for row in rows)
        SQLITE.append(
            f"""
CREATE TRIGGER {table}_frozen_{event.lower()} BEFORE {event} ON {table}
WHEN {condition}
BEGIN SELECT RAISE(ABORT, 'lottery session is signed off: {table} cannot change'); END;
"""
        )


create_triggers, drop_triggers = triggers_for_each_database(
    "signed-session",
    postgresql=POSTGRES,
    sqlite=SQLITE,
    drop_postgresql=[
        "DROP TRIGGER IF EXISTS lottery_session_frozen ON lottery_lotterysession",
        "DROP FUNCTION IF EXISTS lottery_session_frozen()",
        *(
            statement
            for table, _column in CHILD_COLUMNS
            for statement in (
                f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_frozen()",
            )
        ),
    ],
    drop_sqlite=[
        "DROP TRIGGER IF EXISTS lottery_session_frozen",
        "DROP TRIGGER IF EXISTS lottery_session_no_delete",
        *(
            f"DROP TRIGGER IF EXISTS {table}_frozen_{event}"
            for table, _column in CHILD_COLUMNS
            for event in ("insert", "update", "delete")
        ),
    ],
)


class Migration(migrations.Migration):
    dependencies = [("lottery", "0002_session_events_prefix_entropy_by")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
