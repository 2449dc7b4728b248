from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def pairing_for_slot(pairings, slot: str):
    return next((p for p in pairings if str(p.pk) == slot), None)


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
