from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse

from roleplay.models import Room, Session, SessionStatus, Unavailability, WeeklyHours
from roleplay.services import booking
from tests.factories import MembershipFactory, UserFactory
from tests.html import form_fields
from tests.roleplay.booking_helpers import NOW, make_pairing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def text_of(response) -> str:
    return response.content.decode()


def test_the_pairing_page_suggests_times_everyone_is_free(client, pair):
    pairing, ana, ben = pair
    # Ana: Tuesdays 14:00–17:00 London; Ben: Tuesdays 09:00–12:00 New York (14:00–17:00 UTC in March before the US switch).
    WeeklyHours.objects.create(user=ana, weekday=1, start=time(14), end=time(17))
    WeeklyHours.objects.create(user=ben, weekday=1, start=time(9), end=time(12))
    client.force_login(ana)
    page = text_of(client.get(reverse("pairing_detail", args=[pairing.pk])))
    assert "Times when everyone is free (in your zone, Europe/London)" in page
    assert "Propose Tuesday 2 March, 14:00" in page
    assert 'value="2027-03-02T14:00"' in page


def test_proposing_then_confirming_from_the_pages(client, pair):
    pairing, ana, ben = pair
    client.force_login(ana)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]), {"start": "2027-03-04T10:00"}, follow=True
    )
    page = text_of(response)
    assert "Proposed. A request to confirm is queued for your partners." in page
    session = Session.objects.get()
    assert session.start == datetime(
        2027, 3, 4, 10, 0, tzinfo=UTC
    )  # London is on GMT in early March

    client.force_login(ben)
    page = text_of(client.get(reverse("session_detail", args=[session.pk])))
    assert "Thursday 4 March, 05:00" in page  # shown in New York time
    response = client.post(reverse("session_confirm", args=[session.pk]), follow=True)
    assert "Everyone has confirmed: the session is scheduled." in text_of(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_a_refused_booking_is_explained_on_the_page(client, pair):
    pairing, ana, _ = pair
    client.force_login(ana)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]), {"start": "2027-03-01T12:00"}, follow=True
    )
    assert "You cannot book a session starting within 24 hours; ask your supervisor." in text_of(
        response
    )
    response = client.post(reverse("pairing_book", args=[pairing.pk]), {"start": "soon"})
    start = form_fields(text_of(response))["start"]
    assert (start.value, start.errors) == ("soon", "Enter a valid date/time.")
    assert not Session.objects.exists()


def test_reschedule_and_cancel_from_the_session_page(client, pair):
    pairing, ana, ben = pair
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    client.force_login(ben)
    response = client.post(
        reverse("session_reschedule", args=[session.pk]), {"start": "2027-03-05T06:00"}, follow=True
    )
    assert "New time proposed; everyone confirms again." in text_of(response)
    response = client.post(
        reverse("session_cancel", args=[session.pk]), {"reason": ""}, follow=True
    )
    assert "Say why the session is cancelled" in text_of(response)
    response = client.post(
        reverse("session_cancel", args=[session.pk]), {"reason": "Exams"}, follow=True
    )
    assert "Cancelled by Ben: Exams" in text_of(response)
    assert "The session is cancelled; a notice is queued for your partners." in text_of(response)


def test_someone_elses_session_is_not_found(client, pair, cohort):
    pairing, ana, _ = pair
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    client.force_login(MembershipFactory(cohort=cohort).user)
    for name in ("session_detail", "session_ics"):
        assert client.get(reverse(name, args=[session.pk])).status_code == 404
    assert client.post(reverse("session_confirm", args=[session.pk])).status_code == 404


def test_a_supervisor_schedules_directly(client, pair, supervisor):
    pairing, *_ = pair
    client.force_login(supervisor)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]),
        {"start": "2027-03-01T15:00", "directly": "1"},
        follow=True,
    )
    assert "The session is scheduled; a confirmation is queued for everyone." in text_of(response)
    assert Session.objects.get().status == SessionStatus.SCHEDULED


def test_availability_page_adds_and_removes_blocks(client):
    user = UserFactory(time_zone="Asia/Kolkata")
    client.force_login(user)
    response = client.post(
        reverse("my_availability"),
        {"weekly": "1", "weekly-weekdays": "2", "weekly-start": "18:00", "weekly-end": "20:00"},
        follow=True,
    )
    assert "Wednesday 18:00–20:00" in text_of(response)
    response = client.post(
        reverse("my_availability"),
        {"weekly": "1", "weekly-weekdays": "2", "weekly-start": "20:00", "weekly-end": "18:00"},
    )
    assert "End after the start" in text_of(response)
    response = client.post(
        reverse("my_availability"),
        {
            "away": "1",
            "away-start": "2027-03-10T09:00",
            "away-end": "2027-03-12T09:00",
            "away-note": "Conference",
        },
        follow=True,
    )
    away = Unavailability.objects.get()
    assert away.start == datetime(2027, 3, 10, 3, 30, tzinfo=UTC)  # typed in Kolkata time
    block = WeeklyHours.objects.get()
    client.post(reverse("availability_delete", args=["weekly", block.pk]))
    assert not WeeklyHours.objects.exists()


def test_someone_elses_availability_cannot_be_deleted(client):
    block = WeeklyHours.objects.create(user=UserFactory(), weekday=0, start=time(9), end=time(10))
    client.force_login(UserFactory())
    assert client.post(reverse("availability_delete", args=["weekly", block.pk])).status_code == 404


def test_supervisor_sets_rooms_and_allowed_hours(client, supervisor, cohort, trainee):
    client.force_login(supervisor)
    url = reverse("cohort_booking_settings", args=[cohort.pk])
    client.post(url, {"room": "1", "name": "Room 4"})
    response = client.post(url, {"room": "1", "name": "Room 4"})
    assert "already has a room called Room 4" in text_of(response)
    client.post(url, {"hours": "1", "weekdays": "0", "start": "09:00", "end": "17:00"})
    assert Room.objects.get().name == "Room 4"
    assert WeeklyHours.objects.get(cohort=cohort).end == time(17)
    client.force_login(trainee)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("sessions", [1, 3])
def test_dashboard_lists_upcoming_sessions_in_bounded_queries(
    client, cohort, supervisor, sessions, django_assert_num_queries
):
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    for number in range(sessions):
        partner = MembershipFactory(cohort=cohort).user
        pairing = make_pairing(cohort, ana, partner, name=f"Round {number}")
        booking.session_propose(
            pairing=pairing, proposer=partner, start=NOW + timedelta(days=2 + number)
        )
    client.force_login(ana)
    # The navigation asks once whether a trainee supervises anywhere (may_create_cohort).
    with django_assert_num_queries(10):
        page = text_of(client.get(reverse("dashboard")))
    assert page.count("waiting for your confirmation") == sessions


def test_the_trainee_left_behind_asks_for_a_rematch_from_the_session_page(
    client, cohort, pair, supervisor
):
    pairing, ana, ben = pair
    cleo = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Cleo")).user
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    booking.session_mark_no_show(session=session, supervisor=supervisor, absent=[ben])
    client.force_login(ana)
    page = text_of(client.get(reverse("session_detail", args=[session.pk])))
    assert "No-show: Ben did not come." in page
    assert "Ask for a re-match" in page and "Cleo" in page
    response = client.post(
        reverse("session_rematch", args=[session.pk]),
        {"partner": cleo.pk, "start": "2027-03-06T10:00"},
        follow=True,
    )
    assert "Proposed to Cleo." in text_of(response)
    client.force_login(ben)
    page = text_of(client.get(reverse("session_detail", args=[session.pk])))
    assert "Ask for a re-match" not in page


def test_a_room_with_sessions_stays_and_an_unused_one_goes(client, cohort, pair, supervisor):
    pairing, *_ = pair
    used = Room.objects.create(cohort=cohort, name="Room 1")
    spare = Room.objects.create(cohort=cohort, name="Room 2")
    booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3), room=used
    )
    client.force_login(supervisor)
    url = "cohort_booking_delete"
    response = client.post(reverse(url, args=[cohort.pk, "room", used.pk]), follow=True)
    assert "That room has sessions booked in it; it stays." in text_of(response)
    response = client.post(reverse(url, args=[cohort.pk, "room", spare.pk]), follow=True)
    assert "Removed." in text_of(response)
    assert list(Room.objects.values_list("name", flat=True)) == ["Room 1"]
