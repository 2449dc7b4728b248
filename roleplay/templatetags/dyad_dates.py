"""`{{ session.start|when }}` and `{{ cohort.term_start|day }}`: the one date format of every page
and email, in the viewer's zone (see roleplay/formats.py)."""

from django import template

from roleplay import formats

register = template.Library()


@register.filter
def when(value) -> str:
    return formats.when(value) if value else ""


@register.filter
def day(value) -> str:
    return formats.day(value) if value else ""
