import pytest
from django.urls import reverse

from roleplay.models import Pairing, PairingMember, PairingRole
from tests.factories import InvitationFactory, MembershipFactory, RoundFactory
from tests.html import options_of

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
    "admin:roleplay_event_changelist",
    "admin:roleplay_consent_changelist",
    "admin:roleplay_recording_changelist",
    "admin:roleplay_recordingcomment_changelist",
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
    # Edited (or shown) inline on Pairing, Session, FeedbackTemplate and FeedbackResponse; care
    # flags and notes are for the trainee's own supervisors only (roleplay/admin.py says why).
    assert sorted(missing) == [
        "CareFlag",
        "FeedbackAnswer",
        "FeedbackItem",
        "FeedbackScore",
        "Note",
        "PairingMember",
        "SessionSeat",
    ]


def test_the_cohort_page_lists_its_members_linked_and_one_empty_row_to_add(
    client, admin_user, cohort, trainee
):
    """Members are listed read-only (a form per member made a 40-member cohort's page 50x the
    floor to render), each linked to its membership; one row adds a member."""
    client.force_login(admin_user)
    response = client.get(reverse("admin:roleplay_cohort_change", args=[cohort.pk]))
    html = response.content.decode()
    for membership in cohort.memberships.all():
        link = reverse("admin:roleplay_cohortmembership_change", args=[membership.pk])
        assert f'<a href="{link}">{membership.user.name}</a>' in html
    assert "id_memberships-1-user" not in html  # no form per existing member
    assert options_of(response, "id_memberships-0-user") == []  # the row to add: empty
    changelist = reverse("admin:roleplay_cohortmembership_changelist")
    filtered = client.get(changelist, {"cohort__id__exact": cohort.pk})
    assert filtered.status_code == 200
    assert trainee.name in filtered.content.decode()


def _cohort_form(client, url: str) -> dict:
    """The cohort change form as the page fills it in, with its one empty membership row."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        data[name] = field.widget.format_value(value) if hasattr(value, "isoformat") else value
    management = response.context["inline_admin_formsets"][0].formset.management_form
    data.update({f"{management.prefix}-{k}": v for k, v in management.initial.items()})
    return data


def test_the_cohort_page_adds_a_member_and_keeps_the_others(client, admin_user, cohort, trainee):
    from accounts.models import User

    newcomer = User.objects.create_user(email="new@example.org", display_name="Nia New")
    client.force_login(admin_user)
    url = reverse("admin:roleplay_cohort_change", args=[cohort.pk])
    form = _cohort_form(client, url)
    form.update(
        {
            "memberships-0-user": newcomer.pk,
            "memberships-0-role": "trainee",
            "memberships-0-joined_at_0": "2026-09-01",
            "memberships-0-joined_at_1": "09:00:00",
        }
    )
    response = client.post(url, form)
    errors = response.context and [
        response.context["adminform"].form.errors,
        [f.errors for f in response.context["inline_admin_formsets"][0].formset.forms],
    ]
    assert response.status_code == 302, errors
    assert sorted(cohort.memberships.values_list("user__display_name", flat=True)) == sorted(
        ["Nia New", "Sam Supervisor", trainee.display_name]
    )


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
