"""Calendar files: the per-session .ics and the private per-person feed behind a secret link."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from roleplay.models import (
    CalendarFeed,
    Message,
    PairingRole,
    Room,
    Session,
    SessionStatus,
)
from roleplay.services import booking
from roleplay.services import calendar as calendar_service
from roleplay.services.pairing import (
    Arrangement,
    SlotOptions,
    round_arrange,
    round_publish,
    trainees_present,
)
from roleplay.services.rounds import absence_set
from roleplay.services.scenarios import scenario_save
from tests.factories import MembershipFactory, RoundFactory, ScenarioFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SITE = "https://dyad.example.org"
SECRET = "SECRET-BRIEF"
INTAKE = "Intake: Alex, 30, self-referred."
ROLES = [PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER]


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def scenario(supervisor):
    return scenario_save(
        scenario=ScenarioFactory.build(title="Low mood after a move", shared=True),
        owner=supervisor,
    )


def make_pairing(cohort, *people, scenario=None, name="Round A", opens=NOW):
    """A published round in which `people` (client, therapist, observer in that order) are the
    only pairing; everyone else in the cohort sits it out."""
    round_ = RoundFactory(cohort=cohort, name=name, opens=opens, closes=opens + timedelta(days=40))
    if scenario is not None:
        round_.scenarios.set([scenario])
    for other in trainees_present(round_):
        if other not in people:
            absence_set(round_=round_, trainee=other, absent=True)
    round_arrange(
        round_=round_,
        arrangement=Arrangement(
            members={p.pk: ("a", role) for p, role in zip(people, ROLES, strict=False)},
            options={"a": SlotOptions(scenario=scenario)},
        ),
    )
    round_publish(round_=round_)
    Message.objects.all().delete()
    return round_.pairings.get()


@pytest.fixture
def trio(cohort, scenario):
    ana, ben, cleo = (
        MembershipFactory(cohort=cohort, user=UserFactory(display_name=name)).user
        for name in ("Ana", "Ben", "Cleo")
    )
    return make_pairing(cohort, ana, ben, cleo, scenario=scenario), ana, ben, cleo


def events(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def only_event(body: bytes):
    (event,) = events(body)
    return event


def unfolded(body: bytes) -> str:
    """The raw file with long lines put back together, so a search cannot miss a folded word."""
    return body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode()


def session_ics(client, user, session) -> bytes:
    client.force_login(user)
    response = client.get(reverse("session_ics", args=[session.pk]))
    assert response.status_code == 200
    return response.content


def new_feed_url(client, user) -> str:
    client.force_login(user)
    response = client.post(reverse("calendar_regenerate"))
    assert response.status_code == 200
    return response.context["calendar_feed_url"]


def feed(url: str):
    """Fetched as a calendar app would: without logging in."""
    return Client().get(url.removeprefix(SITE))


# --- the per-session file --------------------------------------------------------------------


def test_session_ics_describes_the_session_as_its_client_sees_it(client, trio, supervisor, cohort):
    pairing, ana, *_ = trio
    room = Room.objects.create(cohort=cohort, name="Room 2")
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3), room=room
    )

    client.force_login(ana)
    response = client.get(reverse("session_ics", args=[session.pk]))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="dyad-session-{session.pk}.ics"'
    )
    calendar = Calendar.from_ical(response.content)
    assert (str(calendar["PRODID"]), str(calendar["VERSION"]), str(calendar["METHOD"])) == (
        "-//Dyad//Dyad//EN",
        "2.0",
        "PUBLISH",
    )
    event = only_event(response.content)
    assert str(event["UID"]) == f"session-{session.pk}@dyad.example.org"
    assert str(event["SUMMARY"]) == "Role-play: Round A (you are the client)"
    assert event["DTSTART"].dt == datetime(2027, 3, 4, 9, 0, tzinfo=UTC) == session.start
    assert event["DTEND"].dt == datetime(2027, 3, 4, 9, 50, tzinfo=UTC) == session.end
    assert event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert "DTSTART:20270304T090000Z" in unfolded(response.content)
    assert event["DTSTAMP"].dt == NOW
    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CONFIRMED", 0)
    assert str(event["LOCATION"]) == "Room 2"
    assert str(event["URL"]) == f"{SITE}/sessions/{session.pk}/"
    assert str(event["DESCRIPTION"]) == (
        "With: Cleo (observer), Ben (therapist)\n"
        "Scenario: Low mood after a move\n\n"
        f"Intake summary:\n{INTAKE}\n\n"
        f"In Dyad: {SITE}/sessions/{session.pk}/"
    )


def test_session_ics_names_the_therapists_role_and_the_video_link(client, trio):
    pairing, ana, ben, _ = trio
    session = booking.session_propose(
        pairing=pairing,
        proposer=ana,
        start=NOW + timedelta(days=3),
        video_url="https://meet.example.org/dyad-1",
    )

    event = only_event(session_ics(client, ben, session))

    assert str(event["SUMMARY"]) == "Role-play: Round A (you are the therapist)"
    assert str(event["LOCATION"]) == "https://meet.example.org/dyad-1"
    assert str(event["STATUS"]) == "TENTATIVE"


def test_a_video_session_gives_its_link_as_location_url_and_in_the_description(client, trio):
    pairing, ana, ben, _ = trio
    session = booking.session_propose(
        pairing=pairing,
        proposer=ana,
        start=NOW + timedelta(days=3),
        video_url="https://meet.example.org/dyad-1",
    )

    event = only_event(session_ics(client, ben, session))

    assert str(event["LOCATION"]) == "https://meet.example.org/dyad-1"
    assert str(event["URL"]) == "https://meet.example.org/dyad-1"
    assert str(event["DESCRIPTION"]) == (
        "With: Ana (client), Cleo (observer)\n"
        "Video link: https://meet.example.org/dyad-1\n"
        "Scenario: Low mood after a move\n\n"
        f"Intake summary:\n{INTAKE}\n\n"
        f"In Dyad: {SITE}/sessions/{session.pk}/"
    )


def test_a_room_with_a_video_link_puts_the_room_in_location_and_the_link_in_url(
    client, trio, supervisor, cohort
):
    pairing, ana, *_ = trio
    room = Room.objects.create(cohort=cohort, name="Room 2")
    session = booking.session_schedule_directly(
        pairing=pairing,
        supervisor=supervisor,
        start=NOW + timedelta(days=3),
        room=room,
        video_url="https://meet.example.org/dyad-2",
    )

    event = only_event(session_ics(client, ana, session))

    assert str(event["LOCATION"]) == "Room 2"
    assert str(event["URL"]) == "https://meet.example.org/dyad-2"
    assert "Video link: https://meet.example.org/dyad-2" in str(event["DESCRIPTION"])


AWKWARD_NAME = 'O\'Neil, "Ben"; MSc'


def attendees(event) -> list[tuple[str, str, str]]:
    found = event.get("ATTENDEE", [])
    found = found if isinstance(found, list) else [found]
    return [(str(a), a.params["CN"], a.params["PARTSTAT"]) for a in found]


def test_every_participant_is_an_attendee_with_their_name_and_answer(client, cohort, settings):
    settings.DEFAULT_FROM_EMAIL = "Dyad <dyad@localhost>"
    ana, ben = (
        MembershipFactory(cohort=cohort, user=UserFactory(display_name=name)).user
        for name in ("Ana", AWKWARD_NAME)
    )
    pairing = make_pairing(cohort, ana, ben)
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))

    body = session_ics(client, ben, session)
    event = only_event(body)

    # Ben's own entry carries his address; Ana's a URN, since trainees never see each other's email.
    (ana_uri, *ana_rest), ben_entry = attendees(event)
    assert ana_uri.startswith("urn:uuid:")
    assert ana_rest == ["Ana", "ACCEPTED"]
    assert ben_entry == (f"mailto:{ben.email}", AWKWARD_NAME, "NEEDS-ACTION")
    assert ana.email not in unfolded(body)
    assert str(event["ORGANIZER"]) == "mailto:dyad@localhost"
    assert event["ORGANIZER"].params["CN"] == "Dyad"
    # The name is one quoted parameter, its quotes written the RFC 6868 way.
    assert "CN=\"O'Neil, ^'Ben^'; MSc\";PARTSTAT=NEEDS-ACTION" in unfolded(body)

    booking.session_confirm(session=session, user=ben)
    event = only_event(session_ics(client, ana, session))
    assert [partstat for *_, partstat in attendees(event)] == ["ACCEPTED", "ACCEPTED"]


def test_an_alarm_shows_fifteen_minutes_before_but_not_for_a_cancelled_session(
    client, trio, supervisor
):
    pairing, ana, *_ = trio
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )

    (alarm,) = only_event(session_ics(client, ana, session)).walk("VALARM")

    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(minutes=-15)
    assert "TRIGGER:-PT15M" in unfolded(session_ics(client, ana, session))
    assert str(alarm["DESCRIPTION"]) == "Role-play: Round A (you are the client)"

    booking.session_cancel(session=session, user=ana, reason="Unwell")
    session.refresh_from_db()
    assert only_event(session_ics(client, ana, session)).walk("VALARM") == []


def test_the_feed_carries_attendees_location_and_alarm_too(client, trio, supervisor):
    pairing, *_, cleo = trio
    booking.session_schedule_directly(
        pairing=pairing,
        supervisor=supervisor,
        start=NOW + timedelta(days=3),
        video_url="https://meet.example.org/dyad-3",
    )

    event = only_event(feed(new_feed_url(client, cleo)).content)

    assert [name for _, name, _ in attendees(event)] == ["Ana", "Cleo", "Ben"]
    assert str(event["LOCATION"]) == str(event["URL"]) == "https://meet.example.org/dyad-3"
    assert len(event.walk("VALARM")) == 1


def test_rescheduling_keeps_the_uid_raises_the_sequence_and_moves_the_times(client, trio):
    pairing, ana, ben, cleo = trio
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    booking.session_confirm(session=session, user=ben)
    booking.session_confirm(session=session, user=cleo)
    before = only_event(session_ics(client, ana, session))

    booking.session_reschedule(session=session, user=ben, start=NOW + timedelta(days=4, hours=2))
    session.refresh_from_db()
    after = only_event(session_ics(client, ana, session))

    assert str(before["STATUS"]) == "CONFIRMED"
    assert str(after["UID"]) == str(before["UID"]) == f"session-{session.pk}@dyad.example.org"
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1)
    assert after["SEQUENCE"] == session.sequence
    assert after["DTSTART"].dt == datetime(2027, 3, 5, 11, 0, tzinfo=UTC) == session.start
    assert after["DTEND"].dt == session.end
    assert str(after["STATUS"]) == "TENTATIVE"


def test_another_trainees_session_ics_is_404(client, trio, supervisor, outsider, cohort):
    pairing, *_ = trio
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    stranger_in_cohort = MembershipFactory(cohort=cohort).user
    url = reverse("session_ics", args=[session.pk])

    for user in (outsider, stranger_in_cohort):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 404
        assert b"BEGIN:VCALENDAR" not in response.content
    client.logout()
    assert client.get(url)["Location"].startswith(reverse("account_login"))


def test_the_supervisor_gets_the_session_without_a_role_in_it(client, trio, supervisor):
    pairing, *_ = trio
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )

    event = only_event(session_ics(client, supervisor, session))

    assert str(event["SUMMARY"]) == "Role-play: Round A"
    assert str(event["DESCRIPTION"]).startswith(
        "With: Ana (client), Cleo (observer), Ben (therapist)"
    )


# --- the client brief ------------------------------------------------------------------------


def test_no_calendar_file_holds_the_client_brief_for_anyone(client, trio, supervisor):
    pairing, ana, ben, cleo = trio
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    files = {
        f"session for {u}": session_ics(client, u, session) for u in (ana, ben, cleo, supervisor)
    }
    for member in (ana, ben, cleo):
        response = feed(new_feed_url(client, member))
        assert response.status_code == 200
        files[f"feed of {member}"] = response.content

    for what, body in files.items():
        text = unfolded(body)
        assert SECRET not in text, what
        assert "lost their job" not in text, what
        (event,) = events(body)
        assert SECRET not in str(event["DESCRIPTION"]), what
        assert INTAKE in str(event["DESCRIPTION"]), what


# --- the feed --------------------------------------------------------------------------------


def test_the_feed_lists_the_users_sessions_with_cancelled_ones_marked(client, trio, supervisor):
    pairing, ana, *_ = trio
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    url = new_feed_url(client, ana)

    response = feed(url)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["PRODID"]) == "-//Dyad//Dyad//EN"
    before = only_event(response.content)
    assert (str(before["STATUS"]), before["SEQUENCE"]) == ("CONFIRMED", 0)

    booking.session_cancel(session=session, user=ana, reason="Unwell")
    after = only_event(feed(url).content)

    assert str(after["UID"]) == str(before["UID"])
    assert (str(after["STATUS"]), after["SEQUENCE"]) == ("CANCELLED", 1)
    assert after["DTSTART"].dt == session.start


def test_the_feed_leaves_out_old_no_show_and_other_peoples_sessions(client, cohort, supervisor):
    ana, ben, cleo, dan = (MembershipFactory(cohort=cohort).user for _ in range(4))
    with time_machine.travel(NOW - timedelta(days=100), tick=False):
        old = make_pairing(cohort, ana, ben, name="Long ago", opens=NOW - timedelta(days=100))
        booking.session_schedule_directly(
            pairing=old, supervisor=supervisor, start=NOW - timedelta(days=97)
        )
    recent = make_pairing(cohort, ana, ben, name="Recent", opens=NOW - timedelta(days=30))
    no_show = booking.session_schedule_directly(
        pairing=recent, supervisor=supervisor, start=NOW - timedelta(days=20)
    )
    Session.objects.filter(pk=no_show.pk).update(status=SessionStatus.NO_SHOW)
    mine = make_pairing(cohort, ana, ben, name="Mine", opens=NOW - timedelta(days=30))
    kept = booking.session_schedule_directly(
        pairing=mine, supervisor=supervisor, start=NOW - timedelta(days=29)
    )
    theirs = make_pairing(cohort, cleo, dan, name="Theirs")
    booking.session_schedule_directly(
        pairing=theirs, supervisor=supervisor, start=NOW + timedelta(days=2)
    )

    uids = [str(e["UID"]) for e in events(feed(new_feed_url(client, ana)).content)]

    assert uids == [f"session-{kept.pk}@dyad.example.org"]


@pytest.mark.parametrize("count", [1, 3])
def test_the_feed_costs_the_same_queries_for_one_session_or_three(
    client, cohort, supervisor, django_assert_num_queries, count
):
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    for day in range(count):
        pairing = make_pairing(cohort, ana, ben, name=f"Round {day}")
        booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=2 + day)
        )
    url = new_feed_url(client, ana)

    # The token's owner; the sessions with round, room and scenario; their seats and people.
    with django_assert_num_queries(3):
        response = feed(url)

    assert len(events(response.content)) == count


def test_getting_a_new_link_revokes_the_old_one(client, trio):
    _, ana, *_ = trio

    first = new_feed_url(client, ana)
    assert feed(first).status_code == 200
    second = new_feed_url(client, ana)

    assert first != second
    assert first.startswith(f"{SITE}/calendar/") and first.endswith(".ics")
    assert feed(first).status_code == 404
    assert feed(second).status_code == 200
    assert CalendarFeed.objects.filter(user=ana).count() == 1


def test_only_a_hash_of_the_token_is_stored(trio):
    _, ana, *_ = trio

    token = calendar_service.calendar_feed_create(user=ana)

    stored = CalendarFeed.objects.get(user=ana)
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64
    assert calendar_service.calendar_feed_user(token=token) == ana


def test_a_bad_token_is_404(client, trio):
    _, ana, *_ = trio
    calendar_service.calendar_feed_create(user=ana)

    response = Client().get(reverse("calendar_feed", args=["not-a-real-token"]))

    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.content


def test_a_deactivated_persons_feed_is_404(client, trio):
    _, ana, *_ = trio
    url = new_feed_url(client, ana)
    ana.is_active = False
    ana.save()

    assert feed(url).status_code == 404


# --- the profile page ------------------------------------------------------------------------


def test_the_profile_offers_a_link_and_shows_a_new_one_only_once(client, trio):
    _, ana, *_ = trio
    client.force_login(ana)

    page = client.get(reverse("profile")).content.decode()
    assert "Calendar feed" in page
    assert "Create my calendar link" in page
    assert "Getting a new link stops the old one" in page

    response = client.post(reverse("calendar_regenerate"))
    url = response.context["calendar_feed_url"]
    shown = response.content.decode()
    assert url in shown
    assert "Copy it now: Dyad shows it only this once." in shown
    assert "no-store" in response["Cache-Control"]

    later = client.get(reverse("profile")).content.decode()
    assert url not in later
    assert url.removeprefix(SITE) not in later
    assert "Get a new link" in later
    assert "You have a calendar link, made 1 March." in later


def test_a_new_link_needs_a_post(client, trio):
    _, ana, *_ = trio
    client.force_login(ana)

    assert client.get(reverse("calendar_regenerate")).status_code == 405
    assert not CalendarFeed.objects.filter(user=ana).exists()


def test_the_session_page_links_to_its_calendar_file(client, trio, supervisor):
    pairing, ana, *_ = trio
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
    )
    client.force_login(ana)

    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()

    assert f'<a href="/sessions/{session.pk}/session.ics">Add to my calendar (.ics)</a>' in page
