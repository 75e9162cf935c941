"""A published snapshot can never change, by any path: the service refuses, and so does the
database itself (an UPDATE of its content or a DELETE raises), whatever issues it."""

from django.db import migrations

from resettlement.migration_triggers import triggers_for_each_database

FROZEN = (
    "rows", "columns", "content_hash", "title", "starts_on", "ends_on", "version", "kind",
    "project_id", "community_id", "mask_names", "row_count", "published_at", "published_by_id",
)

POSTGRES = """
CREATE OR REPLACE FUNCTION publicity_publication_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'publication % is published and cannot be deleted', OLD.id;
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND (NEW.status = 'draft' OR {changed}) THEN
    RAISE EXCEPTION 'publication % is published; its snapshot cannot change', OLD.id;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER publicity_publication_frozen
  BEFORE UPDATE OR DELETE ON publicity_publication
  FOR EACH ROW EXECUTE FUNCTION publicity_publication_frozen();
""".format(changed=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN))

SQLITE = [
    """
CREATE TRIGGER publicity_publication_frozen BEFORE UPDATE ON publicity_publication
WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR {changed})
BEGIN SELECT RAISE(ABORT, 'publication is published; its snapshot cannot change'); END;
""".format(changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)),
    """
CREATE TRIGGER publicity_publication_no_delete BEFORE DELETE ON publicity_publication
WHEN OLD.status <> 'draft'
BEGIN SELECT RAISE(ABORT, 'publication is published and cannot be deleted'); END;
""",
]


create_triggers, drop_triggers = triggers_for_each_database(
    "snapshot-freezing",
    postgresql=[POSTGRES],
    sqlite=SQLITE,
    drop_postgresql=[
        "DROP TRIGGER IF EXISTS publicity_publication_frozen ON publicity_publication",
        "DROP FUNCTION IF EXISTS publicity_publication_frozen()",
    ],
    drop_sqlite=[
        "DROP TRIGGER IF EXISTS publicity_publication_frozen",
        "DROP TRIGGER IF EXISTS publicity_publication_no_delete",
    ],
)


class Migration(migrations.Migration):
    dependencies = [("publicity", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
