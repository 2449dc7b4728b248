"""Two records kept as things happen, each backfilled from what is stored:

- each scenario's running totals for the library (ScenarioTally;
  roleplay.services.scenario_totals.tallies_from_scratch is their definition, and it reads models
  through the registry it is given, so it works on this migration's historical models);
- each client brief a trainee has been shown (BriefRead): every client or observer seat in a
  pairing of a published or closed round so far.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_tallies(apps, schema_editor):
    from roleplay.services.scenario_totals import scenario_totals_rebuild

    scenario_totals_rebuild(apps)


def backfill_briefs_read(apps, schema_editor):
    PairingMember = apps.get_model("roleplay", "PairingMember")
    BriefRead = apps.get_model("roleplay", "BriefRead")
    shown = (
        PairingMember.objects.filter(
            round__status__in=["published", "closed"],
            role__in=["client", "observer"],
            pairing__scenario__isnull=False,
        )
        .values_list("trainee_id", "pairing__scenario_id", "role")
        .distinct()
        .order_by()
    )
    BriefRead.objects.bulk_create(
        (BriefRead(trainee_id=t, scenario_id=s, role=r) for t, s, r in shown),
        batch_size=5000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("roleplay", "0027_term_plan"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
        migrations.CreateModel(
            name="BriefRead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("client", "Client"),
                            ("therapist", "Therapist"),
                            ("observer", "Observer"),
                        ],
                        max_length=12,
                    ),
                ),
                ("first_shown_at", models.DateTimeField(auto_now_add=True)),
                (
                    "scenario",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="roleplay.scenario",
                    ),
                ),
                (
                    "trainee",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("trainee", "scenario", "role"), name="brief_read_once_per_role"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill_tallies, migrations.RunPython.noop),
        migrations.RunPython(backfill_briefs_read, migrations.RunPython.noop),
    ]
