"""Dyad's five built-in feedback templates, written for Dyad, programme-wide and owned by nobody."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).with_name("builtin_feedback_templates.json")
ITEM_FIELDS = [
    "key",
    "kind",
    "prompt",
    "minimum",
    "maximum",
    "anchors",
    "choices",
    "max_length",
    "required",
    "allow_na",
    "reverse",
    "subscale",
    "scored",
    "parallel_key",
]


def load(apps, schema_editor):
    Template = apps.get_model("roleplay", "FeedbackTemplate")
    Item = apps.get_model("roleplay", "FeedbackItem")
    for entry in json.loads(DATA.read_text(encoding="utf-8")):
        items = entry.pop("items")
        template, created = Template.objects.get_or_create(
            family=entry["family"], version=1, defaults=entry
        )
        if created:
            Item.objects.bulk_create(
                Item(
                    template=template,
                    position=i,
                    **{k: v for k, v in item.items() if k in ITEM_FIELDS},
                )
                for i, item in enumerate(items, start=1)
            )


def unload(apps, schema_editor):
    families = [entry["family"] for entry in json.loads(DATA.read_text(encoding="utf-8"))]
    apps.get_model("roleplay", "FeedbackTemplate").objects.filter(family__in=families).delete()


class Migration(migrations.Migration):
    dependencies = [("roleplay", "0020_feedback")]
    operations = [migrations.RunPython(load, unload)]
