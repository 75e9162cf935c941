"""Published heads of the audit chain (issue 11): the table, and the same append-only guard
as the entries' (migration 0002) — the database refuses UPDATE, and on PostgreSQL DELETE too.
(On SQLite a test's closing flush deletes row by row, so deletes are left to verify_audit
there.) Someone who can lift a trigger can still change rows: docs/audit.md says what the
published heads catch then, and what only their copies outside the database catch."""

from django.db import migrations, models

POSTGRES = [
    """
CREATE OR REPLACE FUNCTION published_head_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'published audit head % is append-only: % refused', OLD.sequence, TG_OP;
END $$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER published_head_append_only
  BEFORE UPDATE OR DELETE ON resettlement_publishedhead
  FOR EACH ROW EXECUTE FUNCTION published_head_append_only();
""",
]

SQLITE = [
    """
CREATE TRIGGER published_head_append_only BEFORE UPDATE ON resettlement_publishedhead
BEGIN SELECT RAISE(ABORT, 'published audit heads are append-only: UPDATE refused'); END;
""",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    # A plain cursor: the PL/pgSQL's "%" placeholders are not Python parameters.
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            for statement in POSTGRES:
                cursor.execute(statement)
        elif vendor == "sqlite":
            for statement in SQLITE:
                cursor.execute(statement)
        else:  # only PostgreSQL and SQLite are supported
            raise RuntimeError(f"No published-head trigger for {vendor}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS published_head_append_only ON resettlement_publishedhead;"
            "DROP FUNCTION IF EXISTS published_head_append_only();"
        )
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS published_head_append_only")


class Migration(migrations.Migration):
    dependencies = [("resettlement", "0002_audit_entries_are_append_only")]

    operations = [
        migrations.CreateModel(
            name="PublishedHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(verbose_name="序号")),
                ("hash", models.CharField(max_length=64, verbose_name="哈希")),
                ("published_at", models.DateTimeField(verbose_name="公布时间")),
                (
                    "occasion",
                    models.CharField(
                        choices=[
                            ("daily", "每日公布"),
                            ("publication.publish", "发布公示"),
                            ("lottery.sign_off", "摇号签署"),
                        ],
                        max_length=32,
                        verbose_name="公布时机",
                    ),
                ),
            ],
            options={
                "verbose_name": "公布的审计链头",
                "verbose_name_plural": "公布的审计链头",
                "ordering": ["-sequence"],
                "constraints": [
                    models.UniqueConstraint(fields=("sequence",), name="published_head_sequence_unique"),
                    models.CheckConstraint(condition=models.Q(("sequence__gte", 1)), name="published_head_sequence_positive"),
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
