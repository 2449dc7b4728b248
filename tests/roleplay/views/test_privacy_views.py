import json
from datetime import time, timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, User
from roleplay.models import (
    DoNotPair,
    Message,
    MessageKind,
    PairingRole,
    Session,
    SessionStatus,
    WeeklyHours,
)
from roleplay.services import booking
from tests.factories import (
    PASSWORD,
    InvitationFactory,
    MembershipFactory,
    RoundFactory,
    ScenarioFactory,
    UserFactory,
)
from tests.roleplay.booking_helpers import NOW, make_pairing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def past_session(pair, supervisor):
    """Ana and Ben practised yesterday; the session is completed."""
    pairing, ana, ben = pair
    with_time = NOW - timedelta(days=1)
    session = Session.objects.create(
        pairing=pairing,
        start=with_time,
        end=with_time + timedelta(minutes=50),
        status=SessionStatus.COMPLETED,
        proposed_by=ana,
    )
    for person, role in ((ana, PairingRole.CLIENT), (ben, PairingRole.THERAPIST)):
        session.seats.create(user=person, role=role, start=session.start, end=session.end)
    return session


def sign_in(client, email: str, password: str = PASSWORD) -> str:
    response = client.post(
        reverse("account_login"), {"login": email, "password": password}, follow=True
    )
    return text_of(response)


# --- deleting one's own account -------------------------------------------------------------


def test_i_delete_my_account_from_my_profile_and_cannot_sign_in_again(client, pair, past_session):
    _, ana, _ben = pair
    client.force_login(ana)
    profile = text_of(client.get(reverse("profile")))
    assert '<a href="/profile/delete/">Delete my account</a>' in profile
    assert '<form method="post" action="/profile/my-data/">' in profile
    page = text_of(client.get(reverse("profile_delete")))
    assert "Delete your account?" in page

    response = client.post(reverse("profile_delete"), {"confirmation": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert (
        "Your account is deleted. Your partners&#x27; records of sessions with you now say "
        "“a former trainee”." in text_of(response)
    )
    assert response.context["user"].is_authenticated is False
    assert "The email address and/or password you specified are not correct." in sign_in(
        client, ana.email
    )
    assert User.objects.get(pk=ana.pk).is_active is False


def test_the_partner_still_sees_our_session_with_a_former_trainee(client, pair, past_session):
    _, ana, ben = pair
    client.force_login(ana)
    client.post(reverse("profile_delete"), {"confirmation": PASSWORD})

    client.force_login(ben)
    page = text_of(client.get(reverse("session_detail", args=[past_session.pk])))
    assert "a former trainee — client" in page
    assert "Ana" not in page


def test_a_wrong_password_keeps_the_account_and_says_why(client, pair):
    _, ana, _ = pair
    client.force_login(ana)
    response = client.post(reverse("profile_delete"), {"confirmation": "not-it"})
    assert "That is not your password." in text_of(response)
    ana.refresh_from_db()
    assert (ana.deleted_at, ana.is_active) == (None, True)
    assert AuditEvent.objects.count() == 0


def test_the_last_superuser_cannot_delete_their_account(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("profile_delete"), {"confirmation": PASSWORD})
    assert "This is the last superuser: make someone else a superuser first." in text_of(response)
    admin_user.refresh_from_db()
    assert admin_user.deleted_at is None


# --- an admin deletes an account ------------------------------------------------------------


def test_a_superuser_deletes_a_trainee_with_sessions_in_the_admin(
    client, admin_user, pair, past_session
):
    _, ana, ben = pair
    email = ana.email
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_delete", args=[ana.pk])
    confirm = text_of(client.get(url))
    assert "Are you sure you want to delete" in confirm
    assert f"{email}: personal data deleted; past sessions stay in partners" in confirm
    assert "would require deleting the following protected related objects" not in confirm

    client.post(url, {"post": "yes"}, follow=True)

    ana.refresh_from_db()
    assert (ana.email, ana.is_active, ana.name) == (
        f"deleted-{ana.pk}@deleted.invalid",
        False,
        "a former trainee",
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.actor) == (AuditEvent.Action.ACCOUNT_DELETED, admin_user)
    assert "The email address and/or password you specified are not correct." in sign_in(
        Client(), email
    )
    client.force_login(ben)
    page = text_of(client.get(reverse("session_detail", args=[past_session.pk])))
    assert "a former trainee — client" in page


def test_a_programme_admin_deletes_accounts_with_the_admin_action(client, pair, past_session):
    _, ana, _ben = pair
    programme_admin = UserFactory(is_programme_admin=True, is_staff=True)
    client.force_login(programme_admin)
    changelist = reverse("admin:accounts_user_changelist")
    data = {"action": "delete_selected", "_selected_action": [ana.pk]}
    confirm = text_of(client.post(changelist, data))
    assert "personal data deleted; past sessions stay in partners" in confirm

    response = client.post(changelist, {**data, "post": "yes"}, follow=True)

    assert "Successfully deleted 1 user." in text_of(response)
    assert User.objects.get(pk=ana.pk).name == "a former trainee"
    assert AuditEvent.objects.get().actor == programme_admin


def test_a_programme_admin_may_not_delete_a_superuser(client, admin_user):
    programme_admin = UserFactory(is_programme_admin=True, is_staff=True)
    client.force_login(programme_admin)
    response = client.get(reverse("admin:accounts_user_delete", args=[admin_user.pk]))
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.deleted_at is None


# --- downloading one's data -----------------------------------------------------------------


@pytest.fixture
def world(cohort, supervisor):
    """Ana is client and Ben therapist on a scenario with a secret brief; Cy's reason for not
    pairing with Ana is recorded; a draft round pairs Ana with Dee."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    pairing = make_pairing(cohort, ana, ben)
    pairing.scenario = ScenarioFactory(title="Lost job")
    pairing.save()
    cy = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Cy")).user
    a, b = sorted([ana, cy], key=lambda u: u.pk)
    DoNotPair.objects.create(
        cohort=cohort, trainee_a=a, trainee_b=b, reason="SECRET-REASON", created_by=supervisor
    )
    draft = RoundFactory(cohort=cohort, name="Draft round")
    draft_pairing = draft.pairings.create()
    dee = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Dee")).user
    draft_pairing.members.create(round=draft, trainee=ana, role=PairingRole.CLIENT)
    draft_pairing.members.create(round=draft, trainee=dee, role=PairingRole.THERAPIST)
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    WeeklyHours.objects.create(user=ben, weekday=2, start=time(9), end=time(11))
    InvitationFactory(cohort=cohort, email=ben.email, name="Ben B")
    return {"ana": ana, "ben": ben, "session": session, "pairing": pairing}


def download(client, user) -> tuple[object, dict]:
    client.force_login(user)
    response = client.post(reverse("profile_export"))
    return response, json.loads(response.content)


def test_my_data_downloads_as_a_json_file_with_everything_about_me(client, world):
    ben = world["ben"]
    Authenticator.objects.create(
        user=ben, type=Authenticator.Type.TOTP, data={"secret": "TOTP-SECRET"}
    )
    response, data = download(client, ben)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dyad-my-data-2027-03-01.json"'
    assert (data["profile"]["email"], data["profile"]["name"]) == (ben.email, "Ben")
    assert [m["cohort"] for m in data["memberships"]] == ["Year 1"]
    (pairing,) = data["pairings"]
    assert (pairing["my_role"], pairing["partners"], pairing["scenario"]) == (
        "Therapist",
        [{"name": "Ana", "role": "Client"}],
        "Lost job",
    )
    (session,) = data["sessions"]
    assert (session["start"], session["status"], session["partners"]) == (
        "2027-03-04T09:00:00Z",
        "Proposed",
        [{"name": "Ana", "role": "Client"}],
    )
    assert data["weekly_availability"] == [
        {"weekday": "Wednesday", "start": "09:00:00", "end": "11:00:00"}
    ]
    assert [(m["kind"], m["subject"]) for m in data["messages"]] == [
        ("A proposed time waits for you", "Ana proposes Thursday 4 March, 09:00")
    ]
    assert [(i["cohort"], i["name"]) for i in data["invitations"]] == [("Year 1", "Ben B")]
    assert data["second_factors"] == [
        {"type": "TOTP Authenticator", "created_at": "2027-03-01T09:00:00Z", "last_used_at": None}
    ]
    assert "TOTP-SECRET" not in text_of(response)
    assert [e.action for e in AuditEvent.objects.all()] == [AuditEvent.Action.DATA_EXPORTED]


def test_my_data_never_holds_a_brief_i_may_not_read_others_data_or_do_not_pair_reasons(
    client, world
):
    ana, ben = world["ana"], world["ben"]
    _, therapist = download(client, ben)
    _, client_role = download(client, ana)

    assert "SECRET-BRIEF" not in json.dumps(therapist)
    assert "client_brief" not in therapist["pairings"][0]
    assert client_role["pairings"][0]["client_brief"].startswith("SECRET-BRIEF")
    for data, other in ((therapist, ana), (client_role, ben)):
        text = json.dumps(data)
        assert other.email not in text
        assert "SECRET-REASON" not in text
        assert "Draft round" not in text
        assert "Dee" not in text


def test_downloading_needs_a_post_so_every_download_is_in_the_audit_log(client, world):
    client.force_login(world["ben"])
    assert client.get(reverse("profile_export")).status_code == 405
    assert AuditEvent.objects.count() == 0


# --- the audit log in the admin -------------------------------------------------------------


def test_programme_admins_read_the_audit_log_but_cannot_change_it(client, trainee, admin_user):
    client.force_login(trainee)
    client.post(reverse("profile_export"))
    programme_admin = UserFactory(is_programme_admin=True, is_staff=True)
    client.force_login(programme_admin)

    page = text_of(client.get(reverse("admin:accounts_auditevent_changelist")))

    assert "Personal data exported" in page
    assert f"#{trainee.pk} (user)" in page
    event = AuditEvent.objects.get()
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert (
        client.get(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code == 403
    )
    change = text_of(client.get(reverse("admin:accounts_auditevent_change", args=[event.pk])))
    assert 'name="_save"' not in change


def test_deleting_an_account_tells_partners_of_sessions_ahead(client, world):
    ana, ben = world["ana"], world["ben"]
    client.force_login(ana)
    client.post(reverse("profile_delete"), {"confirmation": PASSWORD})
    assert list(
        Message.objects.filter(recipient=ben, kind=MessageKind.SESSION_CANCELLED).values_list(
            "body", flat=True
        )
    ) == [
        "A former trainee has left Year 1, so your session is cancelled. "
        "Open it in Dyad to practise with another trainee of the round instead."
    ]
