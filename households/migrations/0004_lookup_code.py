from django.db import migrations, models

import households.models


def fill_lookup_codes(apps, schema_editor):
    Household = apps.get_model("households", "Household")
    seen = set()
    for household in Household.objects.only("pk").iterator():
        code = households.models.new_lookup_code()
        while code in seen:
            code = households.models.new_lookup_code()
        seen.add(code)
        Household.objects.filter(pk=household.pk).update(lookup_code=code)


class Migration(migrations.Migration):
    dependencies = [("households", "0003_ordering_without_joins")]

    operations = [
        migrations.AddField(
            model_name="household",
            name="lookup_code",
            field=models.CharField(max_length=16, null=True, editable=False, verbose_name="查询码"),
        ),
        migrations.AddField(
            model_name="historicalhousehold",
            name="lookup_code",
            field=models.CharField(
                db_index=True,
                default=households.models.new_lookup_code,
                editable=False,
                max_length=16,
                verbose_name="查询码",
            ),
        ),
        migrations.RunPython(fill_lookup_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="household",
            name="lookup_code",
            field=models.CharField(
                default=households.models.new_lookup_code,
                editable=False,
                max_length=16,
                unique=True,
                verbose_name="查询码",
            ),
        ),
    ]
