from datetime import datetime

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def pairing_for_slot(pairings, slot: str):
    return next((p for p in pairings if str(p.pk) == slot), None)


@register.filter
def iso_datetime(value: str | None):
    """A moment an event stored as ISO text, as a datetime the |date filter shows in the
    viewer's zone."""
    return datetime.fromisoformat(value) if value else None
