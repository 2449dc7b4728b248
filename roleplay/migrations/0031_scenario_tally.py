"""Each scenario's running totals for the library, backfilled from the feedback already stored
(roleplay.services.scenario_totals.tallies_from_scratch is their definition; it reads models
through the registry it is given, so it works on this migration's historical models)."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    from roleplay.services.scenario_totals import scenario_totals_rebuild

    scenario_totals_rebuild(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("roleplay", "0027_term_plan"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScenarioTally",
            fields=[
                (
                    "scenario",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="tally",
                        serialize=False,
                        to="roleplay.scenario",
                    ),
                ),
                ("sessions_run", models.PositiveIntegerField(default=0)),
                ("realism_n", models.PositiveIntegerField(default=0)),
                ("realism_sum", models.DecimalField(decimal_places=1, default=0, max_digits=16)),
                ("realism_sum_sq", models.DecimalField(decimal_places=2, default=0, max_digits=20)),
                ("client_n", models.PositiveIntegerField(default=0)),
                ("client_sum", models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ("client_sum_sq", models.DecimalField(decimal_places=4, default=0, max_digits=24)),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
