from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from roleplay.models import Message, MessageKind, Role, SessionStatus
from roleplay.services import booking, periodic
from tests.factories import MembershipFactory
from tests.roleplay.booking_helpers import NOW, make_pairing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def pairing(cohort):
    ana, ben = (MembershipFactory(cohort=cohort, role=Role.TRAINEE).user for _ in range(2))
    return make_pairing(cohort, ana, ben, closes=NOW + timedelta(days=10))


def nudges():
    return Message.objects.filter(kind=MessageKind.UNBOOKED_NUDGE)


def test_unbooked_pairs_hear_3_days_before_and_supervisors_1_day_before(pairing, supervisor):
    assert periodic.unbooked_nudges_queue() == 0  # 10 days left

    with time_machine.travel(NOW + timedelta(days=7, minutes=1), tick=False):
        assert periodic.unbooked_nudges_queue() == 2
        assert periodic.unbooked_nudges_queue() == 0  # a second tick adds nothing
    assert set(nudges().values_list("recipient_id", flat=True)) == {
        m.trainee_id for m in pairing.members.all()
    }

    with time_machine.travel(NOW + timedelta(days=9, minutes=1), tick=False):
        assert periodic.unbooked_nudges_queue() == 1
    supervisor_nudge = nudges().get(recipient=supervisor)
    assert "have not booked their Round A session" in supervisor_nudge.body


def test_a_booked_pair_is_not_nudged(pairing, supervisor):
    booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=2)
    )
    with time_machine.travel(NOW + timedelta(days=9, minutes=1), tick=False):
        assert periodic.unbooked_nudges_queue() == 0


def test_sessions_whose_end_has_passed_become_completed(pairing, supervisor):
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=2)
    )
    assert periodic.sessions_complete() == 0
    with time_machine.travel(session.end, tick=False):
        assert periodic.sessions_complete() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED


def test_the_weekly_digest_arrives_monday_8am_in_the_supervisors_zone(pairing, supervisor):
    supervisor.time_zone = "Asia/Tokyo"
    supervisor.save()
    sunday_evening_utc = datetime(2027, 3, 7, 22, 59, tzinfo=UTC)  # Monday 07:59 in Tokyo
    with time_machine.travel(sunday_evening_utc, tick=False):
        assert periodic.supervisor_digests_queue() == 0
    with time_machine.travel(sunday_evening_utc + timedelta(minutes=1), tick=False):
        assert periodic.supervisor_digests_queue() == 1
    with time_machine.travel(sunday_evening_utc + timedelta(hours=3), tick=False):
        assert periodic.supervisor_digests_queue() == 0  # once a week
    digest = Message.objects.get(kind=MessageKind.WEEKLY_DIGEST)
    assert digest.recipient == supervisor
    names = ", ".join(m.trainee.name for m in pairing.members.all())
    assert f"Not booked yet:\n- Round A: {names}" in digest.body


def test_only_supervisors_get_a_digest(pairing, supervisor):
    """Monday 08:00 UTC: the supervisor (in UTC) gets one; the pairing's trainees do not."""
    supervisor.time_zone = "UTC"
    supervisor.save()
    with time_machine.travel(datetime(2027, 3, 8, 8, 0, tzinfo=UTC), tick=False):
        assert periodic.supervisor_digests_queue() == 1
    recipients = Message.objects.filter(kind=MessageKind.WEEKLY_DIGEST).values_list(
        "recipient", flat=True
    )
    assert list(recipients) == [supervisor.pk]
