import pytest
from django.urls import reverse

from roleplay.models import Pairing, PairingMember, PairingRole
from tests.factories import InvitationFactory, MembershipFactory, RoundFactory
from tests.html import options_of, selected_option

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


def test_the_cohort_page_names_each_member_in_their_row(client, admin_user, cohort, trainee):
    client.force_login(admin_user)
    response = client.get(reverse("admin:roleplay_cohort_change", args=[cohort.pk]))
    chosen = [selected_option(response, f"id_memberships-{i}-user") for i in range(2)]
    assert sorted(chosen) == sorted([trainee.name, "Sam Supervisor"])
    assert options_of(response, "id_memberships-0-user") == [chosen[0]]  # not every person


def _pairing_form(pairing, trainee, role: str) -> dict:
    return {
        "round": pairing.round_id,
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-trainee": trainee.pk,
        "members-0-role": role,
    }


def test_a_member_added_in_the_admin_joins_the_pairings_round(client, admin_user, cohort, trainee):
    round_ = RoundFactory(cohort=cohort)
    pairing = Pairing.objects.create(round=round_)
    client.force_login(admin_user)
    url = reverse("admin:roleplay_pairing_change", args=[pairing.pk])
    client.post(url, _pairing_form(pairing, trainee, PairingRole.CLIENT))
    members = PairingMember.objects.filter(pairing=pairing)
    assert list(members.values_list("trainee__email", "round", "role")) == [
        (trainee.email, round_.pk, "client")
    ]


def test_the_admin_refuses_a_second_pairing_for_a_trainee_in_one_round(
    client, admin_user, cohort, trainee
):
    round_ = RoundFactory(cohort=cohort)
    first, second = Pairing.objects.create(round=round_), Pairing.objects.create(round=round_)
    PairingMember.objects.create(pairing=first, round=round_, trainee=trainee, role="client")
    client.force_login(admin_user)
    url = reverse("admin:roleplay_pairing_change", args=[second.pk])
    response = client.post(url, _pairing_form(second, trainee, PairingRole.THERAPIST))
    assert "Pairing member with this Round and Trainee already exists." in response.content.decode()
    assert list(PairingMember.objects.values_list("pairing", "role")) == [(first.pk, "client")]
