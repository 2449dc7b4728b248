from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def pairing_for_slot(pairings, slot: str):
    return next((p for p in pairings if str(p.pk) == slot), None)
