from django import template

from roleplay.selectors import feedback as feedback_selectors

register = template.Library()


@register.filter
def answer_rows(response):
    """A response's answers as words, in its own template version's item order."""
    return feedback_selectors.answer_rows(response)
