import django.db.models.functions.math
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0002_statement_actors"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="statement",
            name="statement_net_consistent",
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "net",
                        django.db.models.functions.math.Round(
                            models.F("income_total") - models.F("expenditure_total"), 2
                        ),
                    )
                ),
                name="statement_net_consistent",
            ),
        ),
    ]
