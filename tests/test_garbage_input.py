"""Every form, fed garbage: the answer is a page that explains, never a server error."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from roleplay.models import CohortMembership, Role
from roleplay.services import booking
from roleplay.services.invitations import invitation_token
from tests.factories import InvitationFactory, MembershipFactory, RoundFactory
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
    "away",
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
