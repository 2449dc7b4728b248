import zoneinfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay.formats import WHEN_TOKEN
from roleplay.models import MessageKind, Pairing, RoundStatus, SessionStatus
from roleplay.permissions import Action, may

from . import notify


class NudgeRefused(Exception):
    pass


@transaction.atomic
def pairing_nudge(*, pairing: Pairing, supervisor: User) -> list[User]:
    """A supervisor reminds an unbooked pairing to book: one message to each member, at most once
    a day (the dedupe key holds the day in the cohort's zone), however often the button is
    pressed. Returns the members newly reminded; none if they were reminded today already."""
    round_ = pairing.round
    if not may(supervisor, Action.MANAGE, round_.cohort):
        raise NudgeRefused("Only the cohort's supervisors remind a pairing.")
    if round_.status != RoundStatus.PUBLISHED:
        raise NudgeRefused("Only the pairings of a published round can be reminded.")
    if pairing.sessions.filter(
        status__in=[SessionStatus.SCHEDULED, SessionStatus.COMPLETED]
    ).exists():
        raise NudgeRefused(
            "This pairing has booked its session; there is nothing to remind them of."
        )
    day = timezone.localdate(timezone=zoneinfo.ZoneInfo(round_.cohort.time_zone))
    members = list(pairing.members.select_related("trainee").order_by("role"))
    reminded = []
    for member in members:
        partners = ", ".join(m.trainee.name for m in members if m is not member)
        message = notify.message_queue(
            kind=MessageKind.UNBOOKED_NUDGE,
            recipient=member.trainee,
            dedupe_key=f"nudge:{pairing.pk}:{day.isoformat()}:{member.trainee_id}",
            subject=f"{round_.name}: please book your session",
            body=(
                f"{supervisor.name} asks you to book your {round_.name} session with {partners}. "
                f"Booking closes {WHEN_TOKEN}."
            ),
            link=reverse("pairing_detail", args=[pairing.pk]),
            when=round_.closes,
        )
        if message is not None:
            reminded.append(member.trainee)
    return reminded
