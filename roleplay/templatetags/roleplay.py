from django import template

from roleplay.selectors import feedback as feedback_selectors

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def pairing_for_slot(pairings, slot: str):
    return next((p for p in pairings if str(p.pk) == slot), None)


@register.filter
def answer_rows(response):
    """A response's answers as words, in its own template version's item order."""
    return feedback_selectors.answer_rows(response)
