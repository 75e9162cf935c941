"""The published tables' rows, one database row each, for the public page's paging and its
search index (publicity.search): created, filled from every publication already public, and
on PostgreSQL given the GIN index over each row's pieces of text."""

import django.db.models.deletion
from django.db import migrations, models

GRAMS_INDEX = "publicity_publicationrow_grams"


def index_grams(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {GRAMS_INDEX} ON publicity_publicationrow"
            " USING gin (grams jsonb_path_ops)"
        )


def drop_grams_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GRAMS_INDEX}")


def fill_rows(apps, schema_editor):
    """Every publication already public gets its rows, as publishing now writes them."""
    from publicity.services.publications import public_row_objects

    Publication = apps.get_model("publicity", "Publication")
    PublicationRow = apps.get_model("publicity", "PublicationRow")
    for publication in Publication.objects.exclude(status="draft").iterator(chunk_size=20):
        PublicationRow.objects.bulk_create(
            public_row_objects(publication, model=PublicationRow), batch_size=1000
        )


class Migration(migrations.Migration):

    dependencies = [
        ('publicity', '0006_publicity_periods'),
    ]

    operations = [
        migrations.CreateModel(
            name='PublicationRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='行号')),
                ('cells', models.JSONField(default=list, verbose_name='公示内容')),
                ('text', models.TextField(blank=True)),
                ('grams', models.JSONField(default=list)),
                ('publication', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='public_rows', to='publicity.publication', verbose_name='公示')),
            ],
            options={
                'verbose_name': '公示行',
                'verbose_name_plural': '公示行',
                'ordering': ['publication', 'number'],
                'constraints': [models.UniqueConstraint(fields=('publication', 'number'), name='publication_row_unique')],
            },
        ),
        migrations.RunPython(index_grams, drop_grams_index),
        migrations.RunPython(fill_rows, migrations.RunPython.noop),
    ]
