import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from roleplay.models import Cohort, CohortMembership, Invitation, Role, RoundStatus
from roleplay.permissions import may_create_cohort
from roleplay.services import booking
from tests.factories import (
    CohortFactory,
    InvitationFactory,
    MembershipFactory,
    RoundFactory,
    UserFactory,
)
from tests.roleplay.booking_helpers import NOW, make_pairing

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return response.content.decode()


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_sends_visitors_to_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_trainee_dashboard_without_a_cohort_says_what_happens_next(client):
    client.force_login(UserFactory())
    page = text_of(client.get(reverse("dashboard")))
    assert "You are not in a cohort yet" in page
    assert "New cohort" not in page


def test_supervisor_dashboard_without_a_cohort_offers_to_create_one(client):
    client.force_login(UserFactory(is_supervisor=True))
    page = text_of(client.get(reverse("dashboard")))
    assert "You do not supervise a cohort yet" in page
    assert reverse("cohort_create") in page


def test_dashboard_lists_only_the_users_own_cohorts(client, cohort, trainee):
    CohortFactory(name="Somebody else's cohort")
    MembershipFactory(cohort=cohort)
    client.force_login(trainee)
    page = text_of(client.get(reverse("dashboard")))
    assert "Year 1" in page
    assert "2 trainees" in page  # everyone in the cohort, not only the viewer
    assert "Somebody else&#x27;s cohort" not in page


def test_admin_dashboard_lists_every_cohort(client, admin_user, cohort):
    CohortFactory(name="Evening group")
    client.force_login(admin_user)
    page = text_of(client.get(reverse("dashboard")))
    assert "All cohorts in the programme" in page
    assert "Year 1" in page and "Evening group" in page


@pytest.mark.parametrize("cohorts", [1, 3])
def test_dashboard_query_count_does_not_grow_with_cohorts(
    client, supervisor, cohorts, django_assert_num_queries
):
    for _ in range(cohorts):
        cohort = CohortFactory(created_by=supervisor)
        MembershipFactory(cohort=cohort, user=supervisor, role=Role.SUPERVISOR)
        MembershipFactory.create_batch(2, cohort=cohort)
        InvitationFactory(cohort=cohort)
        RoundFactory(cohort=cohort, status=RoundStatus.PUBLISHED)  # its booking count is shown
    client.force_login(supervisor)
    with django_assert_num_queries(7):
        response = client.get(reverse("dashboard"))
    assert text_of(response).count("/cohorts/") >= cohorts


# --- creating and editing a cohort -----------------------------------------------------------


def test_supervisor_creates_a_cohort_and_supervises_it(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("cohort_create"),
        {
            "name": "Spring",
            "term_start": "2027-01-10",
            "term_end": "2027-04-01",
            "time_zone": "Europe/Berlin",
        },
        follow=True,
    )
    cohort = Cohort.objects.get(name="Spring")
    assert response.redirect_chain[-1][0] == reverse("cohort_invite", args=[cohort.pk])
    assert "Spring is created. Next, invite its trainees." in text_of(response)
    assert cohort.memberships.get().user == supervisor
    assert cohort.time_zone == "Europe/Berlin"


def test_cohort_form_explains_bad_dates_and_keeps_what_was_typed(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("cohort_create"),
        {
            "name": "Spring",
            "term_start": "2027-04-01",
            "term_end": "2027-01-10",
            "time_zone": "UTC",
        },
    )
    page = text_of(response)
    assert response.status_code == 200
    assert "The term must end on or after the day it starts." in page
    assert 'value="Spring"' in page
    assert not Cohort.objects.exists()


def test_a_trainee_may_not_create_a_cohort(client, trainee):
    client.force_login(trainee)
    assert client.get(reverse("cohort_create")).status_code == 403


def test_supervisor_edits_their_cohort(client, supervisor, cohort):
    client.force_login(supervisor)
    client.post(
        reverse("cohort_edit", args=[cohort.pk]),
        {
            "name": "Year 1 (renamed)",
            "term_start": "2027-01-10",
            "term_end": "2027-04-01",
            "time_zone": "UTC",
        },
    )
    cohort.refresh_from_db()
    assert cohort.name == "Year 1 (renamed)"


# --- the cohort page -------------------------------------------------------------------------


def test_a_trainee_sees_their_cohort_without_management_tools(client, cohort, trainee):
    client.force_login(trainee)
    page = text_of(client.get(reverse("cohort_detail", args=[cohort.pk])))
    assert "Year 1" in page and trainee.name in page
    assert "Invite trainees" not in page
    assert "Open invitations" not in page


@pytest.mark.parametrize("url_name", ["cohort_detail", "cohort_edit", "cohort_invite"])
def test_a_trainee_of_another_cohort_gets_404(client, cohort, outsider, url_name):
    client.force_login(outsider)
    response = client.get(reverse(url_name, args=[cohort.pk]))
    assert response.status_code == 404
    assert "Year 1" not in text_of(response)


@pytest.mark.parametrize("url_name", ["cohort_edit", "cohort_invite"])
def test_a_trainee_of_the_cohort_may_not_manage_it(client, cohort, trainee, url_name):
    client.force_login(trainee)
    assert client.get(reverse(url_name, args=[cohort.pk])).status_code == 403


@pytest.mark.parametrize("trainees", [1, 3])
def test_cohort_page_query_count_does_not_grow_with_members(
    client, cohort, supervisor, trainees, django_assert_num_queries
):
    MembershipFactory.create_batch(trainees, cohort=cohort)
    InvitationFactory.create_batch(trainees, cohort=cohort)
    client.force_login(supervisor)
    # The cohort is read once (not again with its members) and appointing, which is for programme
    # admins only, needs no look-up of the supervisor's role: 9 queries before issue 10.
    with django_assert_num_queries(7):
        response = client.get(reverse("cohort_detail", args=[cohort.pk]))
    assert f"Trainees ({trainees})" in text_of(response)


@pytest.mark.usefixtures("frozen_clock")
def test_the_no_show_column_counts_each_trainees_missed_sessions_in_this_cohort_only(
    client, cohort, supervisor
):
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    other = CohortFactory(name="Year 2")
    MembershipFactory(cohort=other, user=ben)
    MembershipFactory(cohort=other, user=supervisor, role=Role.SUPERVISOR)
    cleo = MembershipFactory(cohort=other, user=UserFactory(display_name="Cleo")).user
    for number, (where, people) in enumerate(
        [(cohort, (ana, ben)), (cohort, (ana, ben)), (other, (ben, cleo))]
    ):
        pairing = make_pairing(where, *people, name=f"Round {number}")
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
        )
        booking.session_mark_no_show(session=session, supervisor=supervisor, absent=[ben])
    client.force_login(supervisor)
    page = text_of(client.get(reverse("cohort_detail", args=[cohort.pk])))
    rows = {
        name: re.search(rf"<td>{name}</td>.*?</tr>", page, re.S).group(0) for name in ("Ana", "Ben")
    }
    assert rows["Ana"].count("<td>0</td>") == 1
    assert "<td>2</td>" in rows["Ben"]  # the third, in Year 2, is not this cohort's


# --- inviting --------------------------------------------------------------------------------


def test_supervisor_invites_by_pasting_and_sees_each_row(client, supervisor, cohort, trainee):
    client.force_login(supervisor)
    response = client.post(
        reverse("cohort_invite", args=[cohort.pk]),
        {"emails": f"ada@example.org, Ada\nnot an email\n{trainee.email}"},
    )
    page = text_of(response)
    assert "1 invitation(s) queued to be emailed." in page
    assert "2 row(s) need your attention" in page
    assert "Invitation queued for ada@example.org." in page
    assert "“not an email” is not a valid email address." in page
    assert f"{trainee.email} is already a member of Year 1." in page
    # The refused rows come back in the box for correcting; the invited one does not.
    textarea = page.split('id="id_emails">')[1].split("</textarea>")[0]
    assert "not an email" in textarea and "ada@example.org" not in textarea
    assert list(cohort.invitations.values_list("email", flat=True)) == ["ada@example.org"]


def test_supervisor_invites_from_a_csv_file(client, supervisor, cohort):
    client.force_login(supervisor)
    upload = SimpleUploadedFile(
        "trainees.csv", b"email,name\nada@example.org,Ada\nben@example.org,Ben\n", "text/csv"
    )
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"csv_file": upload})
    assert "2 invitation(s) queued to be emailed." in text_of(response)
    assert set(cohort.invitations.values_list("name", flat=True)) == {"Ada", "Ben"}


def test_invite_form_asks_for_something_to_invite(client, supervisor, cohort):
    client.force_login(supervisor)
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"emails": "  \n "})
    assert "Paste at least one email address or choose a CSV file." in text_of(response)


def test_invite_form_refuses_an_unreadable_file_next_to_the_field(client, supervisor, cohort):
    client.force_login(supervisor)
    upload = SimpleUploadedFile("trainees.csv", "ada@example.org".encode("utf-16"), "text/csv")
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"csv_file": upload})
    assert "The file is not UTF-8 text." in text_of(response)
    assert not Invitation.objects.exists()


def test_supervisor_resends_and_withdraws_an_invitation(client, supervisor, cohort):
    invitation = InvitationFactory(cohort=cohort)
    client.force_login(supervisor)
    response = client.post(
        reverse("invitation_resend", args=[cohort.pk, invitation.pk]), follow=True
    )
    assert f"The invitation to {invitation.email} is queued to be sent again." in text_of(response)
    response = client.post(
        reverse("invitation_revoke", args=[cohort.pk, invitation.pk]), follow=True
    )
    assert f"The invitation to {invitation.email} is withdrawn." in text_of(response)
    response = client.post(
        reverse("invitation_resend", args=[cohort.pk, invitation.pk]), follow=True
    )
    assert "already accepted or withdrawn" in text_of(response)


def test_an_invitation_of_another_cohort_is_not_found(client, supervisor, cohort):
    other = InvitationFactory()
    client.force_login(supervisor)
    response = client.post(reverse("invitation_revoke", args=[cohort.pk, other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


# --- removing and appointing -----------------------------------------------------------------


def test_supervisor_removes_a_trainee_and_the_record_stays(client, supervisor, cohort, trainee):
    membership = CohortMembership.objects.get(user=trainee)
    client.force_login(supervisor)
    url = reverse("member_remove", args=[cohort.pk, membership.pk])
    assert f"Remove {trainee.name} from Year 1?" in text_of(client.get(url))
    response = client.post(url, follow=True)
    assert f"{trainee.name} is no longer in Year 1. Their records are kept." in text_of(response)
    membership.refresh_from_db()
    assert membership.ended_at is not None and membership.ended_by == supervisor
    client.force_login(trainee)
    assert client.get(reverse("cohort_detail", args=[cohort.pk])).status_code == 404


def test_a_supervisor_may_not_remove_a_fellow_supervisor(client, supervisor, cohort):
    other = MembershipFactory(cohort=cohort, role=Role.SUPERVISOR)
    client.force_login(supervisor)
    assert client.post(reverse("member_remove", args=[cohort.pk, other.pk])).status_code == 403


def test_admin_appoints_an_existing_user_as_supervisor(client, admin_user, cohort):
    person = UserFactory(display_name="Rivka")
    client.force_login(admin_user)
    response = client.post(
        reverse("supervisor_appoint", args=[cohort.pk]), {"email": person.email}, follow=True
    )
    assert "Rivka now supervises Year 1." in text_of(response)
    assert may_create_cohort(person)
    assert cohort.memberships.get(user=person).role == Role.SUPERVISOR


def test_admin_appoints_someone_without_an_account_by_invitation(client, admin_user, cohort):
    client.force_login(admin_user)
    response = client.post(
        reverse("supervisor_appoint", args=[cohort.pk]),
        {"email": "new.sup@example.org", "name": "New"},
        follow=True,
    )
    assert "an invitation to supervise Year 1 is queued." in text_of(response)
    assert cohort.invitations.get().role == Role.SUPERVISOR


@pytest.mark.parametrize(
    ("email_of", "message"),
    [
        ("trainee", "is a trainee in Year 1; remove them as a trainee first."),
        ("supervisor", "already supervises Year 1."),
        (None, "Enter a valid email address."),
    ],
)
def test_appointing_explains_why_it_cannot(client, request, admin_user, cohort, email_of, message):
    email = request.getfixturevalue(email_of).email if email_of else "nope"
    client.force_login(admin_user)
    response = client.post(
        reverse("supervisor_appoint", args=[cohort.pk]), {"email": email}, follow=True
    )
    assert message in text_of(response)


def test_only_admins_appoint_supervisors(client, supervisor, cohort):
    client.force_login(supervisor)
    response = client.post(
        reverse("supervisor_appoint", args=[cohort.pk]), {"email": "x@example.org"}
    )
    assert response.status_code == 403
