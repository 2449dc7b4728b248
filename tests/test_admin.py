import pytest
from django.urls import reverse

from tests.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:accounts_user_changelist",
    "admin:accounts_auditevent_changelist",
    "admin:roleplay_cohort_changelist",
    "admin:roleplay_cohortmembership_changelist",
    "admin:roleplay_invitation_changelist",
    "admin:roleplay_scenario_changelist",
    "admin:roleplay_round_changelist",
    "admin:roleplay_pairing_changelist",
    "admin:roleplay_donotpair_changelist",
    "admin:roleplay_roundabsence_changelist",
    "admin:roleplay_message_changelist",
    "admin:roleplay_session_changelist",
    "admin:roleplay_room_changelist",
    "admin:roleplay_weeklyhours_changelist",
    "admin:roleplay_unavailability_changelist",
    "admin:roleplay_emailpreferences_changelist",
    "admin:roleplay_calendarfeed_changelist",
    "admin:roleplay_feedbacktemplate_changelist",
    "admin:roleplay_feedbackresponse_changelist",
    "admin:roleplay_feedbackreveal_changelist",
    "admin:roleplay_reflection_changelist",
]


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_admin_lists_and_searches_every_model(client, admin_user, cohort, url_name):
    MembershipFactory(cohort=cohort)
    InvitationFactory(cohort=cohort, email="findme@example.org")
    client.force_login(admin_user)
    assert client.get(reverse(url_name)).status_code == 200
    response = client.get(reverse(url_name), {"q": "findme"})
    assert response.status_code == 200


def test_admin_change_pages_open(client, admin_user, cohort):
    client.force_login(admin_user)
    response = client.get(reverse("admin:roleplay_cohort_change", args=[cohort.pk]))
    assert "Year 1" in response.content.decode()


def test_admin_resends_invitations(client, admin_user, cohort):
    invitation = InvitationFactory(cohort=cohort, send_attempts=5, last_error="boom")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:roleplay_invitation_changelist"),
        {"action": "resend", "_selected_action": [invitation.pk]},
        follow=True,
    )
    assert "1 invitation(s) queued again." in response.content.decode()
    invitation.refresh_from_db()
    assert (invitation.send_attempts, invitation.last_error) == (0, "")


def test_trainees_cannot_reach_the_admin(client, trainee):
    client.force_login(trainee)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_every_model_of_dyad_is_in_the_admin():
    from django.apps import apps
    from django.contrib import admin

    missing = [
        model.__name__
        for app in ("accounts", "roleplay")
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry and not model._meta.auto_created
    ]
    # edited (or shown) inline on Pairing, Session, FeedbackTemplate and FeedbackResponse
    assert sorted(missing) == [
        "FeedbackAnswer",
        "FeedbackItem",
        "FeedbackScore",
        "PairingMember",
        "SessionSeat",
    ]
