"""Issue 7.1: removing a trainee takes them out of the cohort's pages, feeds and bookings at once,
frees their future sessions and tells their partners, who may re-match; history stays."""

import zoneinfo
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from roleplay.models import (
    CohortMembership,
    Message,
    MessageKind,
    MessageState,
    SessionSeat,
    SessionStatus,
)
from roleplay.services import booking, calendar, periodic
from roleplay.services.cohorts import membership_end
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def remove(cohort, user, supervisor):
    membership = CohortMembership.objects.active().get(cohort=cohort, user=user)
    return membership_end(membership=membership, ended_by=supervisor)


@pytest.fixture
def booked(pair, supervisor):
    pairing, ana, ben = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    return pairing, session, ana, ben


def test_a_removed_trainee_gets_404_on_their_pairing_session_and_ics(
    client, cohort, supervisor, booked
):
    pairing, session, _ana, ben = booked
    client.force_login(ben)
    assert client.get(reverse("pairing_detail", args=[pairing.pk])).status_code == 200

    remove(cohort, ben, supervisor)

    pages = [
        reverse("pairing_detail", args=[pairing.pk]),
        reverse("session_detail", args=[session.pk]),
        reverse("session_ics", args=[session.pk]),
    ]
    assert [client.get(url).status_code for url in pages] == [404, 404, 404]
    assert "Round A" not in client.get(reverse("my_pairings")).content.decode()
    cancel = client.post(reverse("session_cancel", args=[session.pk]), {"reason": "I left"})
    book = client.post(reverse("pairing_book", args=[pairing.pk]), {"start": "2027-03-08T10:00"})
    assert (cancel.status_code, book.status_code) == (404, 404)


def test_a_removed_trainees_calendar_feed_drops_the_cohorts_sessions(cohort, supervisor, booked):
    _pairing, session, _ana, ben = booked
    uid = f"session-{session.pk}@".encode()
    assert uid in calendar.ics_for_feed(user=ben)

    remove(cohort, ben, supervisor)

    assert uid not in calendar.ics_for_feed(user=ben)


def test_removal_frees_future_sessions_withdraws_queued_messages_and_tells_the_partner(
    cohort, supervisor, booked
):
    _pairing, session, ana, ben = booked
    # The confirmation and the reminders 24 hours and 1 hour before (feedback is asked for once
    # the session has been held).
    assert Message.objects.filter(recipient=ben, state=MessageState.PENDING).count() == 3

    remove(cohort, ben, supervisor)

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.cancel_reason == f"{ben.name} has left {cohort.name}."
    assert list(SessionSeat.objects.filter(session=session, active=True)) == []
    assert SessionSeat.objects.filter(session=session).count() == 2  # the record stays
    assert Message.objects.filter(recipient=ben, state=MessageState.PENDING).count() == 0
    assert Message.objects.filter(recipient=ana, state=MessageState.PENDING).count() == 1
    told = Message.objects.get(recipient=ana, state=MessageState.PENDING)
    assert told.kind == MessageKind.SESSION_CANCELLED
    with timezone.override(zoneinfo.ZoneInfo(ana.time_zone)):  # as Ana reads it
        assert told.title == "Thursday 4 March, 09:00 is cancelled"
    assert told.body == (
        f"{ben.name} has left {cohort.name}, so your session is cancelled. "
        "Open it in Dyad to practise with another trainee of the round instead."
    )
    assert CohortMembership.objects.get(cohort=cohort, user=ben).ended_at == NOW


def test_the_partner_left_behind_rematches_with_another_trainee(client, cohort, supervisor, booked):
    _pairing, session, ana, ben = booked
    cleo = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Cleo")).user
    remove(cohort, ben, supervisor)

    client.force_login(ana)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "Cleo" in page
    assert booking.rematch_candidates(session, ana) == [cleo]
    new = booking.session_rematch(
        session=session, user=ana, partner=cleo, start=NOW + timedelta(days=5)
    )
    assert dict(new.seats.values_list("user__display_name", "role")) == {
        "Ana": "client",
        "Cleo": "therapist",
    }
    with pytest.raises(booking.BookingRefused, match="left behind"):
        booking.session_rematch(
            session=session, user=ben, partner=cleo, start=NOW + timedelta(days=6)
        )


def test_a_removed_trainees_proposal_is_withdrawn_and_cannot_be_confirmed(cohort, supervisor, pair):
    pairing, ana, ben = pair
    session = booking.session_propose(pairing=pairing, proposer=ben, start=NOW + timedelta(days=3))

    remove(cohort, ben, supervisor)

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    with pytest.raises(booking.BookingRefused, match="no proposed time"):
        booking.session_confirm(session=session, user=ana)
    waiting = Message.objects.get(recipient=ana, kind=MessageKind.PROPOSAL_WAITING)
    assert waiting.state == MessageState.WITHDRAWN


def test_a_removed_trainee_cannot_book_through_the_service_either(cohort, supervisor, pair):
    pairing, ana, ben = pair
    remove(cohort, ben, supervisor)
    with pytest.raises(booking.BookingRefused, match="Only the pairing's members"):
        booking.session_propose(pairing=pairing, proposer=ben, start=NOW + timedelta(days=3))
    with pytest.raises(booking.BookingRefused, match=f"{ben.name} has left"):
        booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))


def test_past_sessions_are_kept_as_they_were(cohort, supervisor, booked):
    _pairing, session, _ana, ben = booked
    session.status = SessionStatus.COMPLETED
    session.start, session.end = NOW - timedelta(days=2), NOW - timedelta(days=2, minutes=-50)
    session.save()

    remove(cohort, ben, supervisor)

    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED


def test_a_removed_trainee_is_not_nudged_about_the_cohorts_pairings(cohort, supervisor, pair):
    pairing, _ana, ben = pair
    remove(cohort, ben, supervisor)
    with time_machine.travel(pairing.round.closes - timedelta(days=3, minutes=-1), tick=False):
        assert periodic.unbooked_nudges_queue() == 1
    nudged = Message.objects.filter(kind=MessageKind.UNBOOKED_NUDGE)
    assert list(nudged.values_list("recipient__display_name", flat=True)) == ["Ana"]


def test_the_partners_pairing_page_says_who_left_and_offers_no_booking(
    client, cohort, supervisor, booked
):
    pairing, _session, ana, ben = booked
    remove(cohort, ben, supervisor)

    client.force_login(ana)
    page = client.get(reverse("pairing_detail", args=[pairing.pk])).content.decode()

    assert "Ben — therapist (has left Year 1)" in page
    assert (
        "Ben has left Year 1, so this pairing cannot book. Re-match from your cancelled session "
        "below, or ask your supervisor to pair you again."
    ) in page
    assert "Propose this time" not in page
