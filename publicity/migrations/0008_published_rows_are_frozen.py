"""A published table's rows (`PublicationRow`) can never change either, by any path: they
are written once, in the transaction that publishes their publication, and the public page
and its search read them in place of the snapshot. So the database refuses an UPDATE or a
DELETE of any of them, as it does for the publication itself (0002) and for a signed
lottery session (lottery 0003). No service updates or deletes one: a published
publication cannot be deleted, and a draft has no rows."""

from django.db import migrations

from resettlement.migration_triggers import triggers_for_each_database

POSTGRES = [
    """
CREATE OR REPLACE FUNCTION publicity_publicationrow_frozen() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'publication % is published; its rows cannot change', OLD.publication_id;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER publicity_publicationrow_frozen
  BEFORE UPDATE OR DELETE ON publicity_publicationrow
  FOR EACH ROW EXECUTE FUNCTION publicity_publicationrow_frozen();
""",
]

SQLITE = [
    """
CREATE TRIGGER publicity_publicationrow_frozen BEFORE UPDATE ON publicity_publicationrow
BEGIN SELECT RAISE(ABORT, 'publication is published; its rows cannot change'); END;
""",
    """
CREATE TRIGGER publicity_publicationrow_no_delete BEFORE DELETE ON publicity_publicationrow
BEGIN SELECT RAISE(ABORT, 'publication is published; its rows cannot be deleted'); END;
""",
]


create_triggers, drop_triggers = triggers_for_each_database(
    "published-row",
    postgresql=POSTGRES,
    sqlite=SQLITE,
    drop_postgresql=[
        "DROP TRIGGER IF EXISTS publicity_publicationrow_frozen ON publicity_publicationrow",
        "DROP FUNCTION IF EXISTS publicity_publicationrow_frozen()",
    ],
    drop_sqlite=[
        "DROP TRIGGER IF EXISTS publicity_publicationrow_frozen",
        "DROP TRIGGER IF EXISTS publicity_publicationrow_no_delete",
    ],
)


class Migration(migrations.Migration):
    dependencies = [("publicity", "0007_pubcache_publication_search_rows")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
