from datetime import datetime

from django.db import transaction

from accounts.models import User
from roleplay.models import Cohort, DoNotPair, Round, RoundAbsence, Scenario


def round_create(
    *,
    cohort: Cohort,
    name: str,
    opens: datetime,
    closes: datetime,
    scenarios: list[Scenario] | tuple = (),
    **rules,
) -> Round:
    """A draft round. `rules` are the optional booking rules (session_minutes, guard_hours,
    buffer_minutes, max_per_day, max_per_week); the model's defaults fill the rest."""
    round_ = Round(cohort=cohort, name=name, opens=opens, closes=closes, **rules)
    round_.full_clean()
    with transaction.atomic():
        round_.save()
        round_.scenarios.set(scenarios)
    return round_


def round_update(*, round_: Round, scenarios=None, **fields) -> Round:
    from .pairing import refuse_if_closed

    refuse_if_closed(round_)
    for name, value in fields.items():
        setattr(round_, name, value)
    round_.full_clean()
    with transaction.atomic():
        round_.save()
        if scenarios is not None:
            round_.scenarios.set(scenarios)
    return round_


def absence_set(*, round_: Round, trainee: User, absent: bool, reason: str = "") -> None:
    """Mark a trainee absent for a round (leave, illness), or present again.

    An absent trainee is taken out of the round's draft pairings, so nobody is paired with them."""
    from .pairing import refuse_if_closed

    refuse_if_closed(round_)
    with transaction.atomic():
        if absent:
            RoundAbsence.objects.update_or_create(
                round=round_, trainee=trainee, defaults={"reason": reason}
            )
            if round_.is_draft:
                from .pairing import pairing_remove_trainee

                pairing_remove_trainee(round_=round_, trainee=trainee)
        else:
            RoundAbsence.objects.filter(round=round_, trainee=trainee).delete()


class ConstraintRefused(Exception):
    pass


def do_not_pair_add(
    *, cohort: Cohort, trainee_a: User, trainee_b: User, reason: str, created_by: User
) -> DoNotPair:
    if trainee_a.pk == trainee_b.pk:
        raise ConstraintRefused("Choose two different trainees.")
    first, second = sorted([trainee_a, trainee_b], key=lambda user: user.pk)
    constraint, _ = DoNotPair.objects.get_or_create(
        cohort=cohort,
        trainee_a=first,
        trainee_b=second,
        defaults={"reason": reason, "created_by": created_by},
    )
    return constraint
