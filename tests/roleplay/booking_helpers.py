"""Helpers for tests that book sessions: a frozen "now" and a published pairing."""

from datetime import UTC, datetime, timedelta

from django.db import transaction

from roleplay.models import Message, PairingRole
from roleplay.services.pairing import Arrangement, round_arrange, round_publish, trainees_present
from roleplay.services.rounds import absence_set
from tests.factories import RoundFactory

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@transaction.atomic
def make_pairing(cohort, *people, opens=NOW, closes=NOW + timedelta(days=40), name="Round A"):
    """Publish a round pairing `people` (others absent), without its notifications: they are
    deleted in the same transaction, so a live worker never sees them."""
    round_ = RoundFactory(cohort=cohort, name=name, opens=opens, closes=closes)
    for other in trainees_present(round_):
        if other not in people:
            absence_set(round_=round_, trainee=other, absent=True)
    roles = [PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER]
    round_arrange(
        round_=round_,
        arrangement=Arrangement(
            members={p.pk: ("a", role) for p, role in zip(people, roles, strict=False)}
        ),
    )
    round_publish(round_=round_)
    round_.refresh_from_db()
    Message.objects.all().delete()
    return round_.pairings.get()
