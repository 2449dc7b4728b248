"""Issue 8: a refused form comes back with what was typed still in it and the error beside the
field it is about (never only a banner at the top, never an emptied form)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from roleplay.models import Pairing, Role, Session, SessionStatus
from roleplay.services import booking
from tests.factories import MembershipFactory, RoundFactory, UserFactory
from tests.html import alerts, form_fields
from tests.roleplay.booking_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_a_time_outside_the_window_stays_in_the_field_with_the_error_beside_it(client, pair):
    pairing, ana, _ = pair
    client.force_login(ana)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]),
        {"start": "2027-06-01T12:00", "video_url": "https://meet.example.org/ana"},
    )
    fields = form_fields(response.content.decode())
    assert fields["start"].value == "2027-06-01T12:00"
    assert fields["start"].errors == (
        "Choose a time inside the booking window, Monday 1 March, 09:00 to Saturday 10 April, 10:00."
    )
    assert fields["video_url"].value == "https://meet.example.org/ana"
    assert not Session.objects.exists()


def test_a_bad_video_link_stays_in_the_field_with_the_error_beside_it(client, pair):
    pairing, ana, _ = pair
    client.force_login(ana)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]),
        {"start": "2027-03-04T10:00", "video_url": "meet me on zoom"},
    )
    fields = form_fields(response.content.decode())
    assert fields["video_url"].value == "meet me on zoom"
    assert fields["video_url"].errors == "Enter a valid URL."
    assert fields["start"].value == "2027-03-04T10:00"
    assert not Session.objects.exists()


def test_a_time_inside_the_guard_stays_in_the_field_with_the_error_beside_it(client, pair):
    pairing, ana, _ = pair
    client.force_login(ana)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]), {"start": "2027-03-01T12:00"}
    )
    fields = form_fields(response.content.decode())
    assert fields["start"].value == "2027-03-01T12:00"
    assert fields["start"].errors == (
        "You cannot book a session starting within 24 hours; ask your supervisor."
    )
    assert not Session.objects.exists()


def test_schedule_now_stays_ticked_when_the_time_is_refused(client, pair, supervisor):
    pairing, *_ = pair
    client.force_login(supervisor)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]), {"start": "2027-09-01T12:00", "directly": "1"}
    )
    fields = form_fields(response.content.decode())
    assert fields["directly"].checked
    assert fields["start"].errors.startswith("Choose a time inside the booking window")


def test_a_refused_new_time_stays_in_the_reschedule_form(client, pair):
    pairing, ana, ben = pair
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    client.force_login(ben)
    response = client.post(
        reverse("session_reschedule", args=[session.pk]), {"start": "2027-07-01T10:00"}
    )
    page = response.content.decode()
    fields = form_fields(page)
    assert fields["start"].value == "2027-07-01T10:00"
    assert fields["start"].errors == (
        "Choose a time inside the booking window, Monday 1 March, 04:00 to Saturday 10 April, 05:00."
    )
    assert "<details open>\n  <summary>Suggest another time</summary>" in page
    session.refresh_from_db()
    assert session.start == NOW + timedelta(days=3)


def test_an_empty_cancel_reason_is_asked_for_beside_the_field(client, pair):
    pairing, ana, ben = pair
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    client.force_login(ben)
    response = client.post(reverse("session_cancel", args=[session.pk]), {"reason": "   "})
    page = response.content.decode()
    fields = form_fields(page)
    assert fields["reason"].errors == "Say why the session is cancelled; your partners will see it."
    assert "<h1>Cancel the session of Thursday 4 March, 04:00?</h1>" in page  # Ben, in New York
    session.refresh_from_db()
    assert session.status == SessionStatus.PROPOSED


def test_a_refused_cancellation_keeps_the_reason_typed(client, pair, supervisor):
    pairing, _, ben = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(hours=5)
    )
    client.force_login(ben)
    response = client.post(reverse("session_cancel", args=[session.pk]), {"reason": "Exams"})
    page = response.content.decode()
    assert form_fields(page)["reason"].value == "Exams"
    assert "You cannot cancel a session starting within 24 hours; ask your supervisor." in page
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_a_refused_rematch_keeps_the_partner_and_time(client, cohort, pair, supervisor):
    pairing, ana, ben = pair
    cleo = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Cleo")).user
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    booking.session_mark_no_show(session=session, supervisor=supervisor, absent=[ben])
    client.force_login(ana)
    response = client.post(
        reverse("session_rematch", args=[session.pk]),
        {"partner": cleo.pk, "start": "2027-08-06T10:00"},
    )
    fields = form_fields(response.content.decode())
    assert fields["partner"].selected == [str(cleo.pk)]
    assert fields["start"].value == "2027-08-06T10:00"
    assert fields["start"].errors.startswith("Choose a time inside the booking window")
    assert Session.objects.count() == 1


def test_a_refused_arrangement_keeps_every_edit_and_names_the_pairing(client, supervisor, cohort):
    round_ = RoundFactory(cohort=cohort)
    a, b, c, d = (
        MembershipFactory(
            cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name)
        ).user
        for name in ("Ada", "Bea", "Cai", "Dan")
    )
    client.force_login(supervisor)
    data = {
        f"slot_{a.pk}": "1",
        f"role_{a.pk}": "client",
        f"slot_{b.pk}": "1",
        f"role_{b.pk}": "client",
        f"slot_{c.pk}": "2",
        f"role_{c.pk}": "client",
        f"slot_{d.pk}": "2",
        f"role_{d.pk}": "therapist",
        "locked_2": "on",
        "chooses_1": "on",
    }
    response = client.post(reverse("round_arrange", args=[round_.pk]), data)
    page = response.content.decode()
    fields = form_fields(page)
    assert fields[f"slot_{b.pk}"].value == "1"
    assert fields[f"role_{b.pk}"].value == "Client"
    assert fields[f"slot_{d.pk}"].value == "2"
    assert fields[f"role_{d.pk}"].value == "Therapist"
    assert fields["locked_2"].checked and not fields["locked_1"].checked
    assert fields["chooses_1"].checked
    assert alerts(page)["pairing_1_errors"] == (
        "The pairing of Ada, Bea needs exactly one client. "
        "The pairing of Ada, Bea needs exactly one therapist."
    )
    assert "pairing_2_errors" not in alerts(page)
    assert not Pairing.objects.exists()


def test_a_refused_appointment_keeps_the_address_with_the_reason_beside_it(
    client, admin_user, cohort, trainee
):
    client.force_login(admin_user)
    response = client.post(
        reverse("supervisor_appoint", args=[cohort.pk]), {"email": trainee.email, "name": "Tom"}
    )
    page = response.content.decode()
    fields = form_fields(page)
    assert (fields["email"].value, fields["name"].value) == (trainee.email, "Tom")
    assert alerts(page)["id_email_errors"] == (
        f"{trainee.name} is a trainee in Year 1; remove them as a trainee first."
    )
    response = client.post(
        reverse("supervisor_appoint", args=[cohort.pk]), {"email": "not-an-address"}
    )
    page = response.content.decode()
    assert form_fields(page)["email"].value == "not-an-address"
    assert alerts(page)["id_email_errors"] == "Enter a valid email address."


FULL_PAGE_FORMS = {
    "cohort term": (
        "cohort_create",
        False,
        {
            "name": "Year 2",
            "term_start": "2027-09-01",
            "term_end": "2027-06-01",
            "time_zone": "UTC",
        },
        "term_end",
        "2027-06-01",
        "The term must end on or after the day it starts.",
    ),
    "scenario title": (
        "scenario_create",
        False,
        {
            "title": "Low mood\nafter a move",
            "presenting_concern": "Sleep",
            "difficulty": "2",
            "skills": ["open_questions"],
            "intake_summary": "Alex, 30.",
            "client_brief": "Secret.",
        },
        "title",
        "Low mood\nafter a move",
        "Use one line: no line breaks.",
    ),
    "do-not-pair reason": (
        "do_not_pair",
        True,
        {"reason": "Housemates\r\nand partners"},
        "reason",
        "Housemates\r\nand partners",
        "Use one line: no line breaks.",
    ),
    "weekly hours": (
        "my_availability",
        False,
        {"weekly": "1", "weekly-weekdays": "2", "weekly-start": "20:00", "weekly-end": "18:00"},
        "weekly-end",
        "18:00",
        "End after the start (split a block that crosses midnight).",
    ),
    "away time": (
        "my_availability",
        False,
        {
            "away": "1",
            "away-start": "2027-03-10T09:00",
            "away-end": "2027-03-09T09:00",
            "away-note": "Trip",
        },
        "away-end",
        "2027-03-09T09:00",
        "Back must be after away.",
    ),
    "room name": (
        "cohort_booking_settings",
        True,
        {"room": "1", "name": "Room\u200b 1"},
        "name",
        "Room\u200b 1",
        "Remove the invisible character (zero width space).",
    ),
}


@pytest.mark.parametrize("case", FULL_PAGE_FORMS.values(), ids=FULL_PAGE_FORMS.keys())
def test_full_page_forms_keep_the_value_with_the_error_beside_it(client, supervisor, cohort, case):
    url_name, takes_cohort, data, field, typed, error = case
    client.force_login(supervisor)
    url = reverse(url_name, args=[cohort.pk] if takes_cohort else [])
    fields = form_fields(client.post(url, data).content.decode(), containing=next(iter(data)))
    assert (fields[field].value, fields[field].errors) == (typed, error)
