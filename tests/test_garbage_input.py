"""Every form, fed garbage: the answer is a page that explains, never a server error."""

from datetime import datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import User
from roleplay.models import (
    Cohort,
    CohortMembership,
    Invitation,
    MessageKind,
    Pairing,
    Role,
    Room,
    Round,
    RoundAbsence,
    Session,
    Unavailability,
    WeeklyHours,
)
from roleplay.services import booking, invitations, notify
from roleplay.services.invitations import invitation_token
from tests.factories import (
    PASSWORD,
    InvitationFactory,
    MembershipFactory,
    RoundFactory,
    ScenarioFactory,
    UserFactory,
)
from tests.html import form_fields
from tests.roleplay.booking_helpers import make_pairing

pytestmark = pytest.mark.django_db

GARBAGE_VALUES = [
    "",
    " ",
    "\x00",
    "a\x00b@example.org",
    "x" * 20_000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "🙂" * 50,
    "9999-99-99",
    "-1",
    "1e309",
    "99999999999999999999999",
    "²",
    "\r\n\r\n",
    "9999-12-31T23:30",
    "0001-01-01T00:00",
    "[[1e400,2,null]]",
    "Ana\u202egnp.exe\u200b",
]

FIELDS = [
    "name",
    "term_start",
    "term_end",
    "time_zone",
    "emails",
    "email",
    "login",
    "password",
    "password1",
    "password2",
    "oldpassword",
    "display_name",
    "opens",
    "closes",
    "session_minutes",
    "scenarios",
    "groups",
    "trainee",
    "absent",
    "trainee_a",
    "trainee_b",
    "reason",
    "title",
    "presenting_concern",
    "difficulty",
    "skills",
    "intake_summary",
    "client_brief",
    "scenario",
    "start",
    "room",
    "video_url",
    "directly",
    "partner",
    "weekday",
    "end",
    "note",
    "weekly",
    "weekly-weekdays",
    "weekly-start",
    "weekly-end",
    "away",
    "away-start",
    "away-end",
    "away-note",
    "weekdays",
    "hours",
    "emailed",
]


def payloads():
    for value in GARBAGE_VALUES:
        yield {field: value for field in FIELDS}
    yield {field: [value, value] for field, value in zip(FIELDS, GARBAGE_VALUES, strict=False)}
    yield {}


@pytest.fixture
def form_urls(cohort, supervisor):
    membership = MembershipFactory(cohort=cohort, role=Role.TRAINEE)
    invitation = InvitationFactory(cohort=cohort)
    round_ = RoundFactory(cohort=cohort)
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    pairing = make_pairing(
        cohort, ana, ben, opens=timezone.now(), closes=timezone.now() + timedelta(days=30)
    )
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=timezone.now() + timedelta(days=2)
    )
    block = WeeklyHours.objects.create(user=supervisor, weekday=0, start=time(9), end=time(17))
    return {
        "anonymous": [
            reverse("account_login"),
            reverse("account_signup"),
            reverse("account_reset_password"),
            reverse("invitation_accept", args=[invitation_token(invitation)]),
            reverse("invitation_accept", args=["\x00garbage"]),
        ],
        "supervisor": [
            reverse("profile"),
            reverse("account_change_password"),
            reverse("cohort_create"),
            reverse("cohort_edit", args=[cohort.pk]),
            reverse("cohort_invite", args=[cohort.pk]),
            reverse("supervisor_appoint", args=[cohort.pk]),
            reverse("invitation_resend", args=[cohort.pk, invitation.pk]),
            reverse("member_remove", args=[cohort.pk, membership.pk]),
            reverse("round_create", args=[cohort.pk]),
            reverse("round_edit", args=[round_.pk]),
            reverse("round_suggest", args=[round_.pk]),
            reverse("round_accept", args=[round_.pk]),
            reverse("round_arrange", args=[round_.pk]),
            reverse("round_absence", args=[round_.pk]),
            reverse("do_not_pair", args=[cohort.pk]),
            reverse("scenario_create"),
            reverse("round_publish", args=[round_.pk]),
            reverse("round_close", args=[round_.pk]),
            reverse("round_reopen", args=[round_.pk]),
            reverse("pairing_nudge", args=[pairing.pk]),
            reverse("pairing_book", args=[pairing.pk]),
            reverse("pairing_detail", args=[pairing.pk]),
            reverse("session_reschedule", args=[session.pk]),
            reverse("session_check_in", args=[session.pk]),
            reverse("session_no_show", args=[session.pk]),
            reverse("session_rematch", args=[session.pk]),
            reverse("session_confirm", args=[session.pk]),
            reverse("session_cancel", args=[session.pk]),
            reverse("my_availability"),
            reverse("weekly_hours_change", args=[block.pk]),
            reverse("cohort_booking_settings", args=[cohort.pk]),
            reverse("email_preferences"),
            reverse("calendar_regenerate"),
        ],
    }


@pytest.mark.parametrize("payload", list(payloads()), ids=lambda p: repr(p)[:40])
def test_no_form_answers_garbage_with_a_server_error(client, supervisor, form_urls, payload):
    for url in form_urls["anonymous"]:
        response = client.post(url, payload)
        assert response.status_code < 500, url
    client.force_login(supervisor)
    for url in form_urls["supervisor"]:
        response = client.post(url, payload)
        assert response.status_code < 500, url


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02\xff",
        b"email\n" + b"a@b.c," * 10_000,
        b"\xef\xbb\xbf",
        b"a\x00@b.c,\x00name\n",
    ],
)
def test_garbage_csv_files_are_explained(client, supervisor, cohort, content):
    client.force_login(supervisor)
    upload = SimpleUploadedFile("x.csv", content, "text/csv")
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"csv_file": upload})
    assert response.status_code == 200
    assert CohortMembership.objects.filter(cohort=cohort).count() == 1


def test_an_oversized_csv_is_refused(client, supervisor, cohort):
    client.force_login(supervisor)
    upload = SimpleUploadedFile("x.csv", b"a" * (1024 * 1024 + 1), "text/csv")
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"csv_file": upload})
    assert "The file is larger than 1 MB." in response.content.decode()


# --- issue 7, items 9-12: named bad values, each a clear field error with nothing saved ----------

DISPLAY_NAMES_REFUSED = {
    "Ana\u202egnp.exe": "Remove the text-direction character (right-to-left override).",
    "Ana\u200bBen": "Remove the invisible character (zero width space).",
    "Ana\x07": "Remove the invisible control character from the text.",
    "Ana\r\nBcc: all@example.org": "Use one line: no line breaks.",
    "Ana\u2028Ben": "Use one line: no line breaks.",
}


@pytest.mark.parametrize("name", DISPLAY_NAMES_REFUSED)
def test_a_display_name_with_invisible_or_line_breaking_characters_is_refused(client, name):
    user = UserFactory(display_name="Ana")
    client.force_login(user)
    response = client.post(reverse("profile"), {"display_name": name, "time_zone": "UTC"})
    field = form_fields(response.content.decode())["display_name"]
    assert (field.value, field.errors) == (name, DISPLAY_NAMES_REFUSED[name])
    user.refresh_from_db()
    assert user.display_name == "Ana"


def test_sign_up_refuses_a_name_with_a_line_break(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "ada@example.org",
            "password1": "a-long-passphrase",
            "password2": "a-long-passphrase",
            "display_name": "Ada\nLovelace",
            "time_zone": "UTC",
        },
    )
    assert (
        '<ul class="errorlist" id="id_display_name_error"><li>Use one line: no line breaks.</li></ul>'
        in response.content.decode()
    )
    assert not User.objects.exists()


def test_accepting_an_invitation_refuses_a_name_with_a_bidi_override(client, cohort):
    invitation = InvitationFactory(cohort=cohort, email="new@example.org")
    response = client.post(
        reverse("invitation_accept", args=[invitation_token(invitation)]),
        {
            "display_name": "Nia\u202e",
            "time_zone": "UTC",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert form_fields(response.content.decode())["display_name"].errors == (
        "Remove the text-direction character (right-to-left override)."
    )
    assert not User.objects.filter(email="new@example.org").exists()


def test_cohort_and_round_names_with_line_breaks_are_refused(client, supervisor, cohort):
    client.force_login(supervisor)
    response = client.post(
        reverse("cohort_edit", args=[cohort.pk]),
        {
            "name": "Year 1\r\nBcc: all@example.org",
            "term_start": cohort.term_start.isoformat(),
            "term_end": cohort.term_end.isoformat(),
            "time_zone": "UTC",
        },
    )
    assert form_fields(response.content.decode())["name"].errors == "Use one line: no line breaks."
    cohort.refresh_from_db()
    assert cohort.name == "Year 1"
    response = client.post(
        reverse("round_create", args=[cohort.pk]), _round_data(cohort, name="A\nB")
    )
    assert form_fields(response.content.decode())["name"].errors == "Use one line: no line breaks."
    assert not Round.objects.exists()


def _round_data(cohort, **changes) -> dict:
    opens = datetime.combine(cohort.term_start, time(9))
    data = {
        "name": "Round 1",
        "opens": f"{opens:%Y-%m-%dT%H:%M}",
        "closes": f"{opens + timedelta(days=14):%Y-%m-%dT%H:%M}",
        "session_minutes": 50,
        "guard_hours": 24,
        "buffer_minutes": 15,
        "max_per_day": 2,
        "max_per_week": 5,
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("opens", "0001-01-01T00:30", "Choose a date between 2000 and 2099."),
        ("closes", "9999-12-31T23:30", "Choose a date between 2000 and 2099."),
        ("closes", "2090-01-01T00:00", "(the cohort's term, give or take a year)."),
    ],
)
def test_round_dates_outside_a_sane_range_are_refused(
    client, supervisor, cohort, field, value, error
):
    supervisor.time_zone = "Pacific/Kiritimati"
    supervisor.save()
    client.force_login(supervisor)
    response = client.post(
        reverse("round_create", args=[cohort.pk]), _round_data(cohort, **{field: value})
    )
    typed = form_fields(response.content.decode())[field]
    assert typed.value == value
    assert typed.errors.endswith(error)
    assert not Round.objects.exists()


@pytest.fixture
def booked(cohort, supervisor):
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    pairing = make_pairing(
        cohort, ana, ben, opens=timezone.now(), closes=timezone.now() + timedelta(days=30)
    )
    return pairing, ana


@pytest.mark.parametrize("directly", ["", "1"])
def test_a_start_in_the_year_9999_is_refused_when_booking(client, supervisor, booked, directly):
    pairing, _ = booked
    client.force_login(supervisor)
    response = client.post(
        reverse("pairing_book", args=[pairing.pk]),
        {"start": "9999-12-31T23:30", "directly": directly},
    )
    start = form_fields(response.content.decode())["start"]
    assert (start.value, start.errors) == (
        "9999-12-31T23:30",
        "Choose a date between 2000 and 2099.",
    )
    assert not Session.objects.exists()


def test_a_start_in_the_year_9999_is_refused_when_rescheduling(client, booked):
    pairing, ana = booked
    session = booking.session_propose(
        pairing=pairing, proposer=ana, start=timezone.now() + timedelta(days=3)
    )
    client.force_login(ana)
    response = client.post(
        reverse("session_reschedule", args=[session.pk]), {"start": "9999-12-31T23:30"}
    )
    start = form_fields(response.content.decode())["start"]
    assert (start.value, start.errors) == (
        "9999-12-31T23:30",
        "Choose a date between 2000 and 2099.",
    )
    assert Session.objects.get().start == session.start


def test_an_away_time_in_the_year_9999_is_refused(client):
    user = UserFactory(time_zone="America/Los_Angeles")
    client.force_login(user)
    response = client.post(
        reverse("my_availability"),
        {
            "away": "1",
            "away-start": "9999-12-31T20:00",
            "away-end": "9999-12-31T23:30",
            "away-note": "",
        },
    )
    fields = form_fields(response.content.decode())
    assert fields["away-end"].errors == "Choose a date between 2000 and 2099."
    assert not Unavailability.objects.exists()
    assert client.get(reverse("my_availability")).status_code == 200


def test_a_nul_in_a_csv_row_is_explained_and_nothing_is_saved(client, supervisor, cohort):
    client.force_login(supervisor)
    upload = SimpleUploadedFile("x.csv", b"email,name\nana@example.org,An\x00a\n", "text/csv")
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"csv_file": upload})
    assert form_fields(response.content.decode())["csv_file"].errors == (
        "The file contains NUL characters, so it is not plain UTF-8 text. "
        "Save it as “CSV UTF-8” and try again."
    )
    assert not Invitation.objects.exists()


def test_a_line_break_in_a_csv_name_is_refused_for_that_row(client, supervisor, cohort):
    client.force_login(supervisor)
    upload = SimpleUploadedFile(
        "x.csv", b'email,name\nana@example.org,"Ana\r\nBcc: all@example.org"\n', "text/csv"
    )
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"csv_file": upload})
    assert "The name: Use one line: no line breaks." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_nul_in_an_absence_reason_is_dropped(client, supervisor, cohort):
    round_ = RoundFactory(cohort=cohort)
    trainee = MembershipFactory(cohort=cohort).user
    client.force_login(supervisor)
    client.post(
        reverse("round_absence", args=[round_.pk]),
        {"trainee": trainee.pk, "absent": "1", "reason": "ill\x00ness"},
    )
    assert RoundAbsence.objects.get().reason == "illness"


@pytest.mark.parametrize(
    "groups", ["[[1e400,2,null]]", "[" * 100_000 + "]" * 100_000, "[[1,2,3,4]]", '[["1",2]]']
)
def test_a_forged_suggestion_is_refused_in_words(client, supervisor, cohort, groups):
    round_ = RoundFactory(cohort=cohort)
    client.force_login(supervisor)
    response = client.post(
        reverse("round_accept", args=[round_.pk]), {"groups": groups}, follow=True
    )
    assert "That suggestion could not be read; ask for suggestions again." in (
        response.content.decode()
    )
    assert not Pairing.objects.exists()


def test_a_line_break_already_stored_in_a_name_cannot_break_an_email_subject(mailoutbox):
    ana = UserFactory()
    User.objects.filter(pk=ana.pk).update(display_name="Ana\r\nBcc: all@example.org")
    ana.refresh_from_db()
    message = notify.message_queue(
        kind=MessageKind.PROPOSAL_WAITING,
        recipient=UserFactory(),
        dedupe_key="test:subject",
        subject=f"{ana.name} proposes a time",
        body="Please confirm.",
    )
    assert notify.message_send(message_id=message.pk) is True
    assert [m.subject for m in mailoutbox] == ["[Dyad] Ana Bcc: all@example.org proposes a time"]


def test_a_line_break_already_stored_in_a_cohort_name_cannot_break_an_invitation(
    mailoutbox, cohort
):
    Cohort.objects.filter(pk=cohort.pk).update(name="Year 1\nBcc: all@example.org")
    invitation = InvitationFactory(cohort=cohort)
    assert invitations.invitation_send(invitation_id=invitation.pk) is True
    assert [m.subject for m in mailoutbox] == [
        "You're invited to join Year 1 Bcc: all@example.org on Dyad"
    ]


def test_user_text_cannot_inject_calendar_properties(client, supervisor, booked):
    """icalendar escapes values (and folds long lines); text stored before the one-line rule
    (or multi-line by design, like an intake summary) still lands inside its own property."""
    pairing, ana = booked
    injected = "Round\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nATTENDEE:mailto:evil@example.org"
    Round.objects.filter(pk=pairing.round_id).update(name=injected)
    scenario = ScenarioFactory(
        owner=supervisor, title="Low; mood, ok", intake_summary="Line 1\nORGANIZER:mailto:x@y.z"
    )
    Pairing.objects.filter(pk=pairing.pk).update(scenario=scenario)
    room = Room.objects.create(cohort=pairing.round.cohort, name="R1")
    Room.objects.filter(pk=room.pk).update(name="R1\nLOCATION:elsewhere")
    room.refresh_from_db()
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=timezone.now() + timedelta(days=2), room=room
    )
    client.force_login(ana)
    body = client.get(reverse("session_ics", args=[session.pk])).content
    events = Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == 1
    assert str(events[0]["summary"]).startswith("Role-play: " + injected.replace("\r\n", "\n"))
    assert "Line 1\nORGANIZER:mailto:x@y.z" in str(events[0]["description"])
    assert "Scenario: Low; mood, ok" in str(events[0]["description"])
    assert str(events[0]["location"]) == "R1\nLOCATION:elsewhere"
    lines = body.decode().split("\r\n")
    properties = [line.split(":")[0].split(";")[0] for line in lines if not line.startswith(" ")]
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 1
    assert properties.count("LOCATION") == 1
    assert not [line for line in lines if "evil@" in line and not line.startswith(("SUMMARY", " "))]
    assert not [line for line in lines if line.startswith("ORGANIZER:mailto:x@y.z")]
