"""Dyad's eight starter scenarios, written for Dyad, shared programme-wide and owned by nobody."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).with_name("starter_scenarios.json")


def load(apps, schema_editor):
    Scenario = apps.get_model("roleplay", "Scenario")
    for entry in json.loads(DATA.read_text(encoding="utf-8")):
        Scenario.objects.get_or_create(
            owner=None, title=entry["title"], defaults={**entry, "shared": True}
        )


def unload(apps, schema_editor):
    Scenario = apps.get_model("roleplay", "Scenario")
    titles = [entry["title"] for entry in json.loads(DATA.read_text(encoding="utf-8"))]
    Scenario.objects.filter(owner=None, title__in=titles).delete()


class Migration(migrations.Migration):
    dependencies = [("roleplay", "0002_rounds_scenarios_messages")]
    operations = [migrations.RunPython(load, unload)]
