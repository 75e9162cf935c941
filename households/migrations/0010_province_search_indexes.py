"""Indexes for the register's search at province size (issue 15, item 4; measured by
bench/province.py: 200,000 households, 700,000 members).

households.selectors.registration.household_search looks for a term

- in members' names, anywhere (`name LIKE '%term%'`): a trigram GIN index (pg_trgm),
  `member_name_trgm`, answers it from the index instead of reading every member;
- in household codes, anywhere and in any case (`UPPER(code) LIKE UPPER('%term%')`):
  `household_code_trgm`, a trigram GIN index on UPPER(code);
- at the start of ID numbers (`id_number LIKE '330110%'`, for those who see numbers in full):
  `member_id_number_prefix`, a B-tree with varchar_pattern_ops — the plain index
  `member_id_number` serves equality only unless the database's collation is "C".

PostgreSQL only (the extension, GIN and operator classes); on SQLite the migration does
nothing and the search reads the tables, as before. The indexes are not declared on the
models for that reason: they live here alone.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


def _indexes(apps):
    member = apps.get_model("households", "Member")
    return [
        (member, GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="member_name_trgm")),
        (
            member,
            models.Index(
                fields=["id_number"],
                opclasses=["varchar_pattern_ops"],
                name="member_id_number_prefix",
            ),
        ),
    ]


# An expression with an operator class: written out (Django wraps an OpClass expression in
# one parenthesis too many for PostgreSQL in an index).
CODE_TRGM = (
    'CREATE INDEX "household_code_trgm" ON "households_household"'
    ' USING gin ((UPPER("code"::text)) gin_trgm_ops)'
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, index in _indexes(apps):
        schema_editor.add_index(model, index)
    schema_editor.execute(CODE_TRGM)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, index in _indexes(apps):
        schema_editor.remove_index(model, index)
    schema_editor.execute('DROP INDEX IF EXISTS "household_code_trgm"')


class Migration(migrations.Migration):
    dependencies = [("households", "0009_approval_opinion_and_required_documents")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop),
    ]
