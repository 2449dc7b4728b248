from datetime import datetime

from django import template

from roleplay.selectors import feedback as feedback_selectors

register = template.Library()


@register.filter
def answer_rows(response):
    """A response's answers as words, in its own template version's item order."""
    return feedback_selectors.answer_rows(response)


@register.filter
def iso_datetime(value: str | None):
    """A moment an event stored as ISO text, as a datetime the |date filter shows in the
    viewer's zone."""
    return datetime.fromisoformat(value) if value else None
