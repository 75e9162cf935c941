"""Published heads of the audit chain (issue 11): the table, and the same append-only guard
as the entries' (migration 0002) — the database refuses UPDATE, and on PostgreSQL DELETE too.
(On SQLite a test's closing flush deletes row by row, so deletes are left to verify_audit
there.) Someone who can lift a trigger can still change rows: docs/audit.md says what the
published heads catch then, and what only their copies outside the database catch."""

from django.db import migrations, models

from resettlement.migration_triggers import triggers_for_each_database

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


create_triggers, drop_triggers = triggers_for_each_database(
    "published-head",
    postgresql=POSTGRES,
    sqlite=SQLITE,
    drop_postgresql=[
        "DROP TRIGGER IF EXISTS published_head_append_only ON resettlement_publishedhead",
        "DROP FUNCTION IF EXISTS published_head_append_only()",
    ],
    drop_sqlite=["DROP TRIGGER IF EXISTS published_head_append_only"],
)


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
