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


@register.inclusion_tag("roleplay/includes/term_plan_notice.html")
def term_plan_notice(round_):
    """Under "Suggest pairs": whether the suggestion follows the term plan, and a link to it."""
    from roleplay.models import TermPlan
    from roleplay.services.term_plans import plan_is_current

    plan = TermPlan.objects.filter(cohort=round_.cohort).first()
    return {
        "round": round_,
        "plan": plan,
        "current": plan is not None and plan_is_current(plan),
    }
