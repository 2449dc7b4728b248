import threading
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from roleplay.models import (
    Message,
    MessageKind,
    MessageState,
    Role,
    Room,
    RoundStatus,
    SessionSeat,
    SessionStatus,
)
from roleplay.services import booking, periodic
from roleplay.services.pairing import Arrangement, ArrangementRefused, round_arrange
from tests.factories import MembershipFactory, RoundFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def seen_by_recipient(message) -> str:
    """The title as its recipient reads it, in their own zone."""
    with timezone.override(zoneinfo.ZoneInfo(message.recipient.time_zone)):
        return message.title


def kinds_for(user):
    return sorted(Message.objects.filter(recipient=user).values_list("kind", flat=True))


def test_propose_then_confirm_schedules_and_queues_every_message(pair):
    pairing, ana, ben = pair
    start = NOW + timedelta(days=3)
    session = booking.session_propose(pairing=pairing, proposer=ana, start=start)

    assert session.status == SessionStatus.PROPOSED
    assert session.end == start + timedelta(minutes=50)
    assert kinds_for(ben) == [MessageKind.PROPOSAL_WAITING]
    waiting = Message.objects.get(recipient=ben)
    assert seen_by_recipient(waiting) == "Ana proposes Thursday 4 March, 04:00"

    booking.session_confirm(session=session, user=ben)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert SessionSeat.objects.filter(session=session, active=True).count() == 2
    assert kinds_for(ana) == sorted(
        [
            MessageKind.SESSION_CONFIRMED,
            MessageKind.REMINDER_24H,
            MessageKind.REMINDER_1H,
        ]
    )
    due = dict(Message.objects.filter(recipient=ana).values_list("kind", "due_at"))
    assert due[MessageKind.REMINDER_24H] == start - timedelta(hours=24)
    assert due[MessageKind.REMINDER_1H] == start - timedelta(hours=1)


def test_a_time_outside_the_window_is_refused(pair):
    pairing, ana, _ = pair
    with pytest.raises(booking.BookingRefused, match="inside the booking window"):
        booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=60))


def test_the_guard_time_binds_trainees_but_not_supervisors(pair, supervisor):
    pairing, ana, _ = pair
    soon = NOW + timedelta(hours=5)
    with pytest.raises(booking.BookingRefused, match="within 24 hours"):
        booking.session_propose(pairing=pairing, proposer=ana, start=soon)
    session = booking.session_schedule_directly(pairing=pairing, supervisor=supervisor, start=soon)
    assert session.status == SessionStatus.SCHEDULED


def test_a_second_session_too_close_to_the_first_is_refused(cohort, pair, supervisor):
    pairing, ana, _ = pair
    cleo = MembershipFactory(cohort=cohort).user
    other = make_pairing(cohort, ana, cleo, name="Round B")
    start = NOW + timedelta(days=3)
    booking.session_schedule_directly(pairing=pairing, supervisor=supervisor, start=start)
    with pytest.raises(booking.BookingRefused, match="Ana already has a session at that time"):
        booking.session_propose(pairing=other, proposer=cleo, start=start + timedelta(minutes=55))
    booking.session_propose(pairing=other, proposer=cleo, start=start + timedelta(minutes=65))


def test_the_daily_limit_counts_in_the_trainees_own_zone(cohort, pair, supervisor):
    pairing, ana, _ = pair
    pairing.round.max_per_day = 1
    pairing.round.save()
    cleo = MembershipFactory(cohort=cohort).user
    other = make_pairing(cohort, ana, cleo, name="Round B")
    other.round.max_per_day = 1
    other.round.save()
    day = datetime(2027, 3, 4, 10, 0, tzinfo=UTC)
    booking.session_schedule_directly(pairing=pairing, supervisor=supervisor, start=day)
    with pytest.raises(booking.BookingRefused, match="Ana already has 1 sessions that day"):
        booking.session_schedule_directly(
            pairing=other, supervisor=supervisor, start=day + timedelta(hours=4)
        )


def test_a_room_holds_one_session_at_a_time(cohort, pair, supervisor):
    pairing, *_ = pair
    room = Room.objects.create(cohort=cohort, name="Room 2")
    dee, eli = (MembershipFactory(cohort=cohort).user for _ in range(2))
    other = make_pairing(cohort, dee, eli, name="Round B")
    start = NOW + timedelta(days=3)
    booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=start, room=room
    )
    with pytest.raises(booking.BookingRefused, match="Room 2 is booked at that time"):
        booking.session_propose(
            pairing=other, proposer=dee, start=start + timedelta(minutes=30), room=room
        )


def test_rescheduling_asks_everyone_again_and_withdraws_old_reminders(pair):
    pairing, ana, ben = pair
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    booking.session_confirm(session=session, user=ben)

    booking.session_reschedule(session=session, user=ben, start=NOW + timedelta(days=4))
    session.refresh_from_db()

    assert (session.status, session.sequence) == (SessionStatus.PROPOSED, 1)
    assert not SessionSeat.objects.filter(session=session, active=True).exists()
    reminders = Message.objects.filter(kind__in=[MessageKind.REMINDER_24H, MessageKind.REMINDER_1H])
    assert set(reminders.values_list("state", flat=True)) == {MessageState.WITHDRAWN}
    assert MessageKind.SESSION_RESCHEDULED in kinds_for(ana)
    booking.session_confirm(session=session, user=ana)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_cancelling_needs_a_reason_and_late_ones_reach_the_supervisor(pair, supervisor):
    pairing, ana, ben = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(hours=30)
    )
    with pytest.raises(booking.BookingRefused, match="Say why"):
        booking.session_cancel(session=session, user=ana, reason="  ")
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        booking.session_cancel(session=session, user=ana, reason="Unwell")
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED and not session.late_cancellation
    assert MessageKind.SESSION_CANCELLED in kinds_for(ben)
    assert (
        Message.objects.filter(recipient=ana, kind=MessageKind.REMINDER_1H).get().state
        == MessageState.WITHDRAWN
    )

    again = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(hours=20)
    )
    booking.session_cancel(session=again, user=supervisor, reason="Room flooded")
    again.refresh_from_db()
    assert again.late_cancellation
    assert kinds_for(supervisor) == [MessageKind.LATE_CANCELLATION]


def test_the_database_refuses_overlapping_active_seats(pair, supervisor, cohort):
    """Invariant 1 is the database's, not only the service's."""
    pairing, ana, _ = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    other = make_pairing(cohort, ana, MembershipFactory(cohort=cohort).user, name="Round B")
    clash = other.sessions.model.objects.create(
        pairing=other, start=session.start, end=session.end, proposed_by=ana
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionSeat.objects.create(
            session=clash,
            user=ana,
            role="client",
            start=session.start,
            end=session.end,
            active=True,
        )


def test_the_database_refuses_a_double_booked_room(pair, supervisor, cohort):
    pairing, *_ = pair
    room = Room.objects.create(cohort=cohort, name="Room 1")
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3), room=room
    )
    other = make_pairing(
        cohort, *(MembershipFactory(cohort=cohort).user for _ in range(2)), name="B"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        other.sessions.model.objects.create(
            pairing=other,
            start=session.start,
            end=session.end,
            room=room,
            status=SessionStatus.SCHEDULED,
            proposed_by=supervisor,
        )


def test_booking_across_a_daylight_saving_switch_for_two_zones(cohort, supervisor):
    """The UK moves its clocks on 28 March 2027, the US on 14 March: the same UTC instant is shown
    in each trainee's own zone, and the 24-hour reminder is 24 real hours before."""
    ana = MembershipFactory(
        cohort=cohort, user=UserFactory(display_name="Ana", time_zone="Europe/London")
    ).user
    ben = MembershipFactory(
        cohort=cohort, user=UserFactory(display_name="Ben", time_zone="America/New_York")
    ).user
    pairing = make_pairing(cohort, ana, ben)
    start = datetime(
        2027, 3, 28, 11, 0, tzinfo=UTC
    )  # 12:00 in London (BST), 07:00 in New York (EDT)

    session = booking.session_propose(pairing=pairing, proposer=ana, start=start)
    assert (
        seen_by_recipient(Message.objects.get(recipient=ben))
        == "Ana proposes Sunday 28 March, 07:00"
    )
    booking.session_confirm(session=session, user=ben)

    confirmed = Message.objects.get(recipient=ana, kind=MessageKind.SESSION_CONFIRMED)
    assert seen_by_recipient(confirmed) == "Confirmed: Sunday 28 March, 12:00"
    reminder = Message.objects.get(recipient=ana, kind=MessageKind.REMINDER_24H)
    assert reminder.due_at == datetime(2027, 3, 27, 11, 0, tzinfo=UTC)  # 11:00 GMT the day before
    assert seen_by_recipient(reminder) == "Reminder: Sunday 28 March, 12:00"


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_for_one_trainee_let_exactly_one_win(cohort):
    """Three partners each confirm, at the same moment, a session with Ana at the same hour."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    start = NOW + timedelta(days=3)
    sessions, partners = [], []
    for number in range(3):
        partner = MembershipFactory(cohort=cohort, role=Role.TRAINEE).user
        pairing = make_pairing(cohort, ana, partner, name=f"Round {number}")
        sessions.append(booking.session_propose(pairing=pairing, proposer=ana, start=start))
        partners.append(partner)

    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def confirm(session, partner):
        barrier.wait()
        try:
            booking.session_confirm(session=session, user=partner)
            outcomes.append("scheduled")
        except booking.BookingRefused as exc:
            outcomes.append(exc.reason)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=confirm, args=pair) for pair in zip(sessions, partners, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [
        "Ana already has a session at that time (or within 15 minutes of it).",
        "Ana already has a session at that time (or within 15 minutes of it).",
        "scheduled",
    ]
    assert SessionSeat.objects.filter(user=ana, active=True).count() == 1


def test_a_trainee_cannot_book_for_a_pairing_that_is_not_theirs(pair, cohort):
    pairing, *_ = pair
    with pytest.raises(booking.BookingRefused, match="Only the pairing's members"):
        booking.session_propose(
            pairing=pairing,
            proposer=MembershipFactory(cohort=cohort).user,
            start=NOW + timedelta(days=3),
        )


def test_a_draft_round_cannot_be_booked(cohort):
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    round_ = RoundFactory(cohort=cohort, opens=NOW, closes=NOW + timedelta(days=9))
    round_arrange(
        round_=round_,
        arrangement=Arrangement(members={ana.pk: ("a", "client"), ben.pk: ("a", "therapist")}),
    )
    assert round_.status == RoundStatus.DRAFT
    with pytest.raises(booking.BookingRefused, match="once the round is published"):
        booking.session_propose(
            pairing=round_.pairings.get(), proposer=ana, start=NOW + timedelta(days=3)
        )


def test_a_no_show_is_detected_from_check_ins_and_the_one_left_behind_rematches(
    cohort, pair, supervisor
):
    pairing, ana, ben = pair
    cleo = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Cleo")).user
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    with pytest.raises(booking.BookingRefused, match="Check-in opens 15 minutes"):
        booking.session_check_in(session=session, user=ana)
    with time_machine.travel(session.start - timedelta(minutes=5), tick=False):
        booking.session_check_in(session=session, user=ana)
    with time_machine.travel(session.end, tick=False):
        assert periodic.sessions_complete() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.NO_SHOW
    assert list(session.seats.filter(no_show=True).values_list("user", flat=True)) == [ben.pk]

    with pytest.raises(booking.BookingRefused, match="left behind"):
        booking.session_rematch(
            session=session, user=ben, partner=cleo, start=NOW + timedelta(days=5)
        )
    assert booking.rematch_candidates(session, ana) == [cleo]
    new = booking.session_rematch(
        session=session, user=ana, partner=cleo, start=NOW + timedelta(days=5)
    )
    assert dict(new.seats.values_list("user__display_name", "role")) == {
        "Ana": "client",
        "Cleo": "therapist",
    }
    booking.session_confirm(session=new, user=cleo)
    new.refresh_from_db()
    assert new.status == SessionStatus.SCHEDULED and new.rematch_of == session


def test_nobody_checking_in_is_not_a_no_show(pair, supervisor):
    pairing, *_ = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    with time_machine.travel(session.end, tick=False):
        periodic.sessions_complete()
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED


def test_the_supervisor_marks_a_no_show_and_sees_it_per_trainee(client, cohort, pair, supervisor):
    pairing, _ana, ben = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    client.force_login(supervisor)
    client.post(f"/sessions/{session.pk}/no-show/", {"absent": [ben.pk]})
    session.refresh_from_db()
    assert session.status == SessionStatus.NO_SHOW
    page = client.get(f"/cohorts/{cohort.pk}/").content.decode()
    row = page.split(ben.email)[1].split("</tr>")[0]
    assert "<td>1</td>" in row


def test_a_booked_pairing_cannot_be_rearranged_until_its_session_is_cancelled(pair, supervisor):
    pairing, ana, ben = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    swapped = Arrangement(
        members={ana.pk: (str(pairing.pk), "therapist"), ben.pk: (str(pairing.pk), "client")}
    )
    with pytest.raises(ArrangementRefused, match="has a session booked; cancel it"):
        round_arrange(round_=pairing.round, arrangement=swapped)
    booking.session_cancel(session=session, user=supervisor, reason="Roles swap")
    round_arrange(round_=pairing.round, arrangement=swapped)
    assert pairing.members.get(trainee=ana).role == "therapist"


def test_a_pairing_with_a_session_record_is_never_emptied(pair, supervisor, cohort):
    pairing, ana, ben = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    booking.session_cancel(session=session, user=supervisor, reason="Ill")
    moved = Arrangement(members={ana.pk: ("new", "client"), ben.pk: ("new", "therapist")})
    with pytest.raises(ArrangementRefused, match="has a session record"):
        round_arrange(round_=pairing.round, arrangement=moved)
